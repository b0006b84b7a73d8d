using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>
/// Two service instances on one real redis-server, which is stopped with SIGSTOP (connections stay open, nothing answers)
/// and continued with SIGCONT. Counts only: every request answered 200 with its whole stream, BYPASS or HIT while Redis is
/// stalled (repeated prompts hit the in-process copy), the cache's store breaker open on both instances and closed again
/// after, and hits again once Redis is back.
/// </summary>
public sealed class RedisFaultTests
{
    private const string BreakerGauge = "okome.cache.store.breaker_state";

    [Fact]
    public async Task Post_RedisStalled_EveryRequestAnswered_BypassOrHit_BreakerOpensThenCloses_HitsAgainAfter()
    {
        await using var bed = await ServiceTestbed.StartAsync();

        // This test is about the fault: the library timeouts, not the testbed's generous 5 s.
        bed.With("Okome:StoreTimeoutMs", 300);
        var instances = new[] { bed.StartInstance(), bed.StartInstance() };
        var clients = instances.Select(instance => instance.CreateClient()).ToArray();
        using var gauges = new BreakerGauges(instances.Select(i => i.Services.GetRequiredService<IMeterFactory>()));
        var ct = Chat.Within(120);
        var repeated = Chat.Body(Chat.UniquePrompt(), stream: true);

        // Redis up: the repeated prompt is stored and read by both instances (each keeps an in-process copy). A cold instance's
        // first Redis calls (connect, subscribe, script load) may exceed the 300 ms timeout on a loaded machine: repeat
        // until both hit, with both breakers closed.
        var hits = new[] { false, false };
        for (var attempt = 0; attempt < 100 && !(hits[0] && hits[1] && gauges.Read().All(state => state == 0)); attempt++)
        {
            for (var i = 0; i < clients.Length; i++)
            {
                hits[i] = (await SendAsync(clients[i], repeated, ct)).Cache == "HIT";
            }
        }

        hits.Should().Equal([true, true], "the repeated prompt is stored and read by both instances");
        gauges.Read().Should().Equal([0, 0], "both breakers are closed while Redis answers");

        await bed.Redis!.PauseAsync();
        List<Result> during;
        try
        {
            // Waves of 8 concurrent requests, half the repeated prompt and half new ones, until both breakers have opened.
            during = [];
            for (var wave = 0; wave < 20 && gauges.Read().Any(state => state == 0); wave++)
            {
                during.AddRange(await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
                    SendAsync(clients[i % 2], i < 4 ? repeated : Chat.Body(Chat.UniquePrompt(), stream: true), ct))));
            }

            gauges.Read().Should().OnlyContain(state => state != 0, "each instance's cache skips the stalled Redis");

            // The health check answers too (from the breakers, no round trip): the upstream is fine, the store is not.
            using var health = await clients[0].GetAsync(new Uri("/health", UriKind.Relative), ct);
            health.StatusCode.Should().Be(HttpStatusCode.OK);
            (await health.Content.ReadAsStringAsync(ct)).Should().Contain("\"status\":\"degraded\"").And.Contain("\"storeUp\":false");

            // With the breakers open: another wave, answered without Redis.
            during.AddRange(await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
                SendAsync(clients[i % 2], i < 4 ? repeated : Chat.Body(Chat.UniquePrompt(), stream: true), ct))));
        }
        finally
        {
            await bed.Redis.ResumeAsync();
        }

        during.Should().OnlyContain(r => r.Status == HttpStatusCode.OK && r.Done, "every request is answered with its whole stream");
        during.Should().OnlyContain(r => r.Cache == "BYPASS" || r.Cache == "HIT");
        during.Where(r => r.Body == repeated).Should().OnlyContain(r => r.Cache == "HIT", "repeated prompts hit the in-process copy");
        during.Where(r => r.Cache == "BYPASS").Should().OnlyContain(r => r.CacheStatus!.Contains("detail=store-unavailable", StringComparison.Ordinal));

        // Redis back: one background PING per instance closes its breaker; then entries are stored and read again.
        await WaitUntilAsync(() => gauges.Read().All(state => state == 0), ct);
        // (Redis works through the commands queued during the stall first, so a call may still time out once: repeat.)
        var shared = false;
        for (var attempt = 0; attempt < 50 && !shared; attempt++)
        {
            var fresh = Chat.Body(Chat.UniquePrompt(), stream: true);
            (await SendAsync(clients[0], fresh, ct)).Cache.Should().BeOneOf("MISS", "BYPASS");
            shared = (await SendAsync(clients[1], fresh, ct)).Cache == "HIT";
        }

        shared.Should().BeTrue("an entry stored after the stall is shared through Redis again");
        (await SendAsync(clients[1], repeated, ct)).Cache.Should().Be("HIT");

        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    private static async Task<Result> SendAsync(HttpClient client, string body, CancellationToken cancellationToken)
    {
        using var response = await client.SendAsync(Chat.Post(body), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var events = await Sse.ReadAllDataAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken);
        return new Result(body, response.StatusCode, response.Header("X-OKOME-Cache"), response.Header("Cache-Status"), events.LastOrDefault() == "[DONE]");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    private sealed record Result(string Body, HttpStatusCode Status, string? Cache, string? CacheStatus, bool Done);

    /// <summary>Reads the cache breaker gauge of the given instances only (other tests' instances run in the same process).</summary>
    private sealed class BreakerGauges : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<IMeterFactory> _factories;
        private readonly Dictionary<IMeterFactory, int> _states = [];

        public BreakerGauges(IEnumerable<IMeterFactory> factories)
        {
            _factories = factories.ToList();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == BreakerGauge && instrument.Meter.Scope is IMeterFactory factory && _factories.Contains(factory))
                {
                    listener.EnableMeasurementEvents(instrument, factory);
                }
            };
            _listener.SetMeasurementEventCallback<int>((_, value, _, state) =>
            {
                lock (_states)
                {
                    _states[(IMeterFactory)state!] = value;
                }
            });
            _listener.Start();
        }

        /// <summary>Each instance's state (0 closed, 1 open, 2 probing), in the order the instances were given.</summary>
        public int[] Read()
        {
            lock (_states)
            {
                _states.Clear();
            }

            _listener.RecordObservableInstruments();
            lock (_states)
            {
                return _factories.Select(factory => _states.TryGetValue(factory, out var value) ? value : -1).ToArray();
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
