using System.Collections.Concurrent;
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
/// A <see cref="PlanKind.ServeStale"/> plan asks the cache for its entry alone: on a private redis-server, whose own
/// command counts show that no lease script ran, no upstream call and no warning.
/// </summary>
public sealed class PlanExecutorServeStaleTests
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
        PlanExecutorTests.Value(stale.Headers, "Cache-Status").Should().Be(CacheStatusHeader.Format(CacheStatusEntry.From(CacheStatus.Stale, "OKOME") with { TimeToLive = -30 }));
        PlanExecutorTests.Value(stale.Headers, "Age").Should().Be("90");
        PlanExecutorTests.Value(stale.Headers, "X-Upstream").Should().Be("cache");
        nothing.Status.Should().Be(503);
        nothing.Reason.Should().Be(RefusalReason.Maintenance);
        PlanExecutorTests.Value(nothing.Headers, "Retry-After").Should().Be("300");
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

    /// <summary>EVAL, EVALSHA and SET calls the server has run (INFO commandstats): a lease is one of them, counted by Redis itself.</summary>
    private static async Task<long> ScriptAndSetCallsAsync(ConnectionMultiplexer connection, string endpoint)
    {
        var info = await connection.GetServer(endpoint).InfoAsync("commandstats");
        long calls = 0;
        foreach (var pair in info.SelectMany(group => group))
        {
            if (pair.Key is "cmdstat_evalsha" or "cmdstat_eval" or "cmdstat_set")
            {
                calls += long.Parse(pair.Value.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture);
            }
        }

        return calls;
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
