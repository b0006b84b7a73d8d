using System.Text;
using Microsoft.Extensions.Time.Testing;
using Okome.Budget;
using Okome.Budget.Policies;
using Okome.Caching;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;
using Okome.Caching.Stores;
using Okome.Planner.Execution;
using Okome.Planner.Health;
using Okome.Planner.Shedding;

namespace Okome.Planner.Tests.Execution;

/// <summary>A cache, a budget and an executor on fake time, and helpers to read responses and the budget's state.</summary>
internal sealed class ExecutorHarness : IDisposable
{
    public const string Quota = "tokens";
    public const string Concurrency = "concurrent";
    public const string Rate = "rate";
    public const int MaxConcurrent = 50;
    public const long TokensPerDay = 1_000_000;

    private int _finished;

    public ExecutorHarness(Action<PlanExecutorOptions>? configure = null, BudgetPolicy? policy = null, bool withBudget = true, UpstreamHealthMonitor? health = null, GpuSlots? slots = null, TimeProvider? time = null, ResponseCache? cache = null, BudgetService? budget = null)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Cache = cache ?? ResponseCache.CreateInMemory(CacheOptions(), new InMemoryCacheStoreOptions(), Time);
        Budget = withBudget ? budget ?? BudgetService.CreateInMemory(Time) : null;
        Policy = policy ?? DefaultPolicy();
        Health = health;
        Slots = slots;
        var options = new PlanExecutorOptions { BudgetPolicy = Policy };
        configure?.Invoke(options);
        Executor = new PlanExecutor(Cache, Budget, options, health, slots, Time, null, null)
        {
            UpstreamCallFinished = _ => Interlocked.Increment(ref _finished),
        };
    }

    public TimeProvider Time { get; }

    public FakeTimeProvider FakeTime => (FakeTimeProvider)Time;

    public ResponseCache Cache { get; }

    public BudgetService? Budget { get; }

    public BudgetPolicy Policy { get; }

    public UpstreamHealthMonitor? Health { get; }

    public GpuSlots? Slots { get; }

    public PlanExecutor Executor { get; }

    /// <summary>Upstream calls that ended with their slot and lease freed.</summary>
    public int FinishedCalls => Volatile.Read(ref _finished);

    public static ResponseCacheOptions CacheOptions() => new()
    {
        Freshness = new FreshnessPolicy
        {
            FreshFor = TimeSpan.FromSeconds(60),
            StaleWhileRevalidate = TimeSpan.Zero,
            StaleIfError = TimeSpan.FromMinutes(10),
            Jitter = 0,
        },
    };

    public static BudgetPolicy DefaultPolicy(int requestsPerMinute = 10_000) => new(
        "planner-test",
        [
            BudgetLimit.Rate(Rate, requestsPerMinute, TimeSpan.FromMinutes(1)),
            BudgetLimit.Quota(Quota, TokensPerDay, TimeSpan.FromDays(1)),
            BudgetLimit.Concurrency(Concurrency, MaxConcurrent),
        ]);

    public static CacheKey Key(int id, string ns = "planner") => new(ns, (UInt128)(ulong)id + 1);

    public static PlannedRequest Request(int id, string? requestId = null, long cost = 100, string partition = "tenant-a")
        => new(new CacheRequest(Key(id))) { PartitionKey = partition, EstimatedCost = cost, RequestId = requestId };

    public static string? Header(PlannedResponse response, string name)
        => response.Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public static async Task<string> ReadAsync(PlannedResponse response)
    {
        var text = new StringBuilder();
        await foreach (var chunk in response.Body)
        {
            text.Append(Encoding.UTF8.GetString(chunk.Span));
        }

        return text.ToString();
    }

    /// <summary>Sends a request, reads the whole body, disposes the response; returns the status, headers, body and upstream tries.</summary>
    public async Task<(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body, int Tries)> SendAsync(PlannedRequest request, FakeUpstream upstream)
    {
        var response = await Executor.ExecuteAsync(request, upstream.Delegate, CancellationToken.None);
        await using (response)
        {
            var body = await ReadAsync(response);
            return (response.StatusCode, response.Headers, body, response.UpstreamTries);
        }
    }

    /// <summary>What the budget says now for a partition, without charging anything that stays: (tokens left, concurrency slots free).</summary>
    public async Task<(long TokensLeft, long SlotsFree)> ProbeAsync(string partition = "tenant-a")
    {
        var probePolicy = new BudgetPolicy(Policy.Name, Policy.Limits.Where(l => l.Kind != BudgetLimitKind.Rate));
        var lease = await Budget!.AcquireAsync(probePolicy, partition, 0, CancellationToken.None);
        await using (lease)
        {
            var tokens = lease.Decision.Limits.First(l => l.Name == Quota).Remaining;
            var slots = lease.Decision.Limits.First(l => l.Name == Concurrency).Remaining;
            return (tokens, slots);
        }
    }

    /// <summary>Waits (bounded) until a condition holds: for work that ends asynchronously after the response, such as a cancelled upstream call.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string because)
    {
        for (var i = 0; i < 2000 && !condition(); i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System);
        }

        condition().Should().BeTrue(because);
    }

    public void Dispose() => Executor.Dispose();
}
