using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Diagnostics;
using Okome.Caching.Freshness;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Caching.Tests.Stores;

namespace Okome.Caching.Tests.Caching;

/// <summary>
/// <see cref="FreshnessPolicy.UpstreamCacheControl"/> through the cache: Ignore stores what an SSE upstream marks
/// <c>no-cache</c>/<c>no-store</c>; Honor does not, and says why in <c>Cache-Status</c> and in a rate-limited log line.
/// </summary>
public sealed class UpstreamCacheControlTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly LogCollector _logs = new();

    [Theory]
    [InlineData("no-cache")]
    [InlineData("no-store")]
    [InlineData("no-cache, no-store, must-revalidate, private")]
    public async Task GetOrCreateAsync_Ignore_StoresWhatTheUpstreamMarksUncacheable(string cacheControl)
    {
        // --- docs/caching.md: upstream Cache-Control (begin) ---
        var options = new ResponseCacheOptions
        {
            Freshness = new FreshnessPolicy { UpstreamCacheControl = UpstreamCacheControl.Ignore },
        };
        // --- docs/caching.md: upstream Cache-Control (end) ---
        using var cache = Cache(options);
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey()) { TenantsIsolated = false };

        var first = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("answer", upstream, cacheControl), default);
        await first.ReadBodyAsync(default);
        var second = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("other", upstream, cacheControl), default);

        first.Status.Should().Be(CacheStatus.Miss);
        first.Stored.Should().BeTrue();
        first.ToCacheStatus("OKOME").Detail.Should().BeNull();
        second.Status.Should().Be(CacheStatus.Hit);
        (await second.ReadBodyAsync(default)).Should().Equal("answer"u8.ToArray());
        upstream.Calls.Should().Be(1);
        _logs.Lines.Should().BeEmpty();
    }

    [Fact]
    public async Task GetOrCreateAsync_Ignore_StillFollowsTheRequestsNoStore()
    {
        using var cache = Cache(UpstreamCacheControl.Ignore);
        var upstream = new FakeUpstream();
        var key = TestEntries.NewKey();

        var bypassed = await cache.GetOrCreateAsync(new CacheRequest(key) { CacheControl = CacheControl.Parse("no-store") }, FakeUpstream.Fixed("a", upstream, "no-store"), default);
        await bypassed.ReadBodyAsync(default);
        var next = await cache.GetOrCreateAsync(new CacheRequest(key), FakeUpstream.Fixed("b", upstream, "no-store"), default);
        await next.ReadBodyAsync(default);

        bypassed.Status.Should().Be(CacheStatus.Bypass);
        next.Status.Should().Be(CacheStatus.Miss, "the request's no-store kept the first answer out of the cache");
        upstream.Calls.Should().Be(2);
    }

    [Theory]
    [InlineData("no-store", "upstream-no-store")]
    [InlineData("no-cache", "upstream-no-cache")]
    [InlineData("private, max-age=60", "upstream-private")]
    public async Task GetOrCreateAsync_Honor_NothingStoredAndTheDetailSaysWhy(string cacheControl, string detail)
    {
        using var cache = Cache(UpstreamCacheControl.Honor);
        var upstream = new FakeUpstream();

        // A key shared between tenants, so that private applies too.
        var request = new CacheRequest(TestEntries.NewKey()) { TenantsIsolated = false };

        var statuses = new List<CacheStatusEntry>();
        for (var i = 0; i < 3; i++)
        {
            var response = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("answer", upstream, cacheControl), default);
            await response.ReadBodyAsync(default);
            response.Status.Should().Be(CacheStatus.Miss);
            response.Stored.Should().BeFalse();
            statuses.Add(response.ToCacheStatus("OKOME"));
        }

        upstream.Calls.Should().Be(3);
        statuses.Should().OnlyContain(s => s.Detail == detail && s.Forward == "miss" && !s.Stored);
        CacheStatusHeader.Format(statuses[0]).Should().Contain("detail=" + detail);
        var line = _logs.Lines.Should().ContainSingle("one line a minute, not one per request").Subject;
        line.EventId.Should().Be(Log.NotStoredForUpstreamCacheControlId);
        line.Message.Should().Contain(detail).And.Contain(request.Key.HashText).And.Contain("UpstreamCacheControl");

        _time.Advance(TimeSpan.FromMinutes(1));
        await (await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("answer", upstream, cacheControl), default)).ReadBodyAsync(default);
        _logs.Lines.Should().HaveCount(2);
        _logs.Lines.Last().Message.Should().Contain("2 more", "the two lines held back are counted");
    }

    public void Dispose() => _logs.Dispose();

    private DefaultResponseCache Cache(UpstreamCacheControl mode)
        => Cache(new ResponseCacheOptions { Freshness = new FreshnessPolicy { Jitter = 0, UpstreamCacheControl = mode } });

    private DefaultResponseCache Cache(ResponseCacheOptions options)
        => new(new InMemoryCacheStore(new InMemoryCacheStoreOptions(), _time), options, _time, _logs, null);

    /// <summary>Keeps every log line written through it.</summary>
    private sealed class LogCollector : ILoggerFactory, ILogger
    {
        private readonly ConcurrentQueue<(int EventId, string Message)> _lines = new();

        public IReadOnlyCollection<(int EventId, string Message)> Lines => _lines;

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
            => _lines.Enqueue((eventId.Id, formatter(state, exception)));
    }
}
