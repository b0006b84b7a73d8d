using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching;
using Okome.Caching.Status;
using Okome.Planner.Decisions;
using Okome.Planner.Execution;
using Okome.Planner.Health;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Planner.Tests.Execution;

/// <summary>
/// What the executor sends to Redis, counted by a private redis-server itself (INFO commandstats): a
/// <see cref="PlanKind.ServeStale"/> plan asks the cache for its entry alone (no lease script, no upstream call, no
/// warning); a miss reads the entry once (the fetch decides on the peek's read).
/// </summary>
public sealed class PlanExecutorStoreTrafficTests
{
    [Fact]
    public async Task ExecuteAsync_ServeStaleInMaintenance_NoLeaseNoUpstreamNoWarning_StaleElse503()
    {
        var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException("redis-server is not on PATH; this test needs it.");
        await using var process = await RedisProcess.StartAsync(executable);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(TestRedisServer.Options(process.Endpoint));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var logs = new LevelCollector();
        var cache = ResponseCache.CreateRedis(connection, ExecutorHarness.CacheOptions(), time, logs, null);
        await using var health = UpstreamHealthMonitor.CreateInMemory(new UpstreamHealthOptions(), time);
        using var executor = new PlanExecutor(cache, null, new PlanExecutorOptions { BudgetPolicy = ExecutorHarness.DefaultPolicy() }, health, null, time, logs, null);
        var upstream = FakeUpstream.Chunks("cached");
        (await SendAsync(executor, 250, upstream)).Status.Should().Be(200);
        await health.SetMaintenanceAsync(true, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(90));
        var scriptsBefore = await ScriptAndSetCallsAsync(connection, process.Endpoint);

        var stale = await SendAsync(executor, 250, upstream);
        var nothing = await SendAsync(executor, 251, upstream);

        (await ScriptAndSetCallsAsync(connection, process.Endpoint)).Should().Be(scriptsBefore, "a served-stale plan takes no lease (no script, no SET NX)");
        upstream.Calls.Should().Be(1);
        logs.Levels.Should().NotContain(level => level >= LogLevel.Warning);
        stale.Plan.Should().Be(PlanKind.ServeStale);
        stale.Status.Should().Be(200);
        stale.Body.Should().Be("cached");
        PlanExecutorTests.Value(stale.Headers, "X-OKOME-Cache").Should().Be("STALE");
        CacheStatusHeader.TryParse(PlanExecutorTests.Value(stale.Headers, "Cache-Status"), out var entries).Should().BeTrue();
        entries.Should().ContainSingle().Which.Should().Match<CacheStatusEntry>(e => e.CacheName == "OKOME" && e.Hit && e.TimeToLive == -30 && e.Detail == "stale-if-error"
            && e.Forward == null && !e.Stored && !e.Collapsed && e.Key == null);
        PlanExecutorTests.Value(stale.Headers, "Age").Should().Be("90");
        PlanExecutorTests.Value(stale.Headers, "X-Upstream").Should().Be("cache");
        nothing.Status.Should().Be(503);
        nothing.Reason.Should().Be(RefusalReason.Maintenance);
        PlanExecutorTests.Value(nothing.Headers, "Retry-After").Should().Be("300");
    }

    [Fact]
    public async Task ExecuteAsync_MissOnRedis_ReadsTheEntryOnce()
    {
        var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException("redis-server is not on PATH; this test needs it.");
        await using var process = await RedisProcess.StartAsync(executable);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(TestRedisServer.Options(process.Endpoint));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var meters = new OwnMeters();
        using var reads = new StoreReadCounter(meters);
        var cache = ResponseCache.CreateRedis(connection, ExecutorHarness.CacheOptions(), time, new LevelCollector(), meters);
        using var executor = new PlanExecutor(cache, null, new PlanExecutorOptions { BudgetPolicy = ExecutorHarness.DefaultPolicy() }, null, null, time, null, null);
        var upstream = FakeUpstream.Chunks("answer");

        var miss = await SendAsync(executor, 270, upstream);
        var readsForMiss = reads.Count;
        var hit = await SendAsync(executor, 270, upstream);

        PlanExecutorTests.Value(miss.Headers, "X-OKOME-Cache").Should().Be("MISS");
        readsForMiss.Should().Be(1, "the fetch decides on the peek's read");
        PlanExecutorTests.Value(hit.Headers, "X-OKOME-Cache").Should().Be("HIT");
        hit.Body.Should().Be("answer");
        reads.Count.Should().Be(2, "a hit is the peek's read alone");
        upstream.Calls.Should().Be(1);
    }

    private static async Task<(int Status, PlanKind Plan, RefusalReason Reason, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)> SendAsync(PlanExecutor executor, int id, FakeUpstream upstream)
    {
        var response = await executor.ExecuteAsync(ExecutorHarness.Request(id), upstream.Delegate, CancellationToken.None);
        await using (response)
        {
            var body = await ExecutorHarness.ReadAsync(response);
            return (response.StatusCode, response.Plan.Kind, response.Plan.Reason, response.Headers, body);
        }
    }

    /// <summary>EVAL, EVALSHA and SET calls the server has run: a lease is one of them, counted by Redis itself.</summary>
    private static Task<long> ScriptAndSetCallsAsync(ConnectionMultiplexer connection, string endpoint)
        => CallsAsync(connection, endpoint, "cmdstat_evalsha", "cmdstat_eval", "cmdstat_set");

    /// <summary>Calls of the named commands the server has run (INFO commandstats).</summary>
    private static async Task<long> CallsAsync(ConnectionMultiplexer connection, string endpoint, params string[] commands)
    {
        var info = await connection.GetServer(endpoint).InfoAsync("commandstats");
        long calls = 0;
        foreach (var pair in info.SelectMany(group => group))
        {
            if (commands.Contains(pair.Key))
            {
                calls += long.Parse(pair.Value.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture);
            }
        }

        return calls;
    }

    /// <summary>Meters of one test's cache only (tests in other classes run at the same time with meters of the same name).</summary>
    private sealed class OwnMeters : IMeterFactory
    {
        private readonly ConcurrentQueue<Meter> _meters = new();

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Enqueue(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }

    /// <summary>Counts the cache's reads of entries from the store (<c>okome.cache.store.operations</c> with operation <c>get</c>).</summary>
    private sealed class StoreReadCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public StoreReadCounter(OwnMeters meters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Name == "okome.cache.store.operations")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "okome.cache.operation" && (string?)tag.Value == "get")
                    {
                        Interlocked.Add(ref _count, value);
                    }
                }
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>Keeps the level of every log line written through it.</summary>
    private sealed class LevelCollector : ILoggerFactory, ILogger
    {
        private readonly ConcurrentQueue<LogLevel> _levels = new();

        public IReadOnlyCollection<LogLevel> Levels => _levels;

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => _levels.Enqueue(logLevel);
    }
}
