using BenchmarkDotNet.Attributes;
using Okome.Budget;
using Okome.Budget.Policies;
using Okome.Caching;
using Okome.Caching.Keys;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Planner.Execution;

namespace Okome.Benchmarks.Caching;

/// <summary>
/// The library part of the service's cached HIT, in process (no HTTP, no ASP.NET Core): the 13.7 KB streamed completion of
/// the <c>hit-path</c> mode (49 token events) stored in memory, then per operation one request carried out by the
/// <see cref="PlanExecutor"/> — the cache peek, the budget's rate-only charge, the plan, the headers — its body enumerated
/// chunk by chunk as the service's writer does, and the response disposed (which releases the budget's lease). The
/// baseline is the cache alone (lookup and body), so Ratio and Alloc Ratio say what the planner and the budget add to a HIT.
/// </summary>
[MemoryDiagnoser]
public class HitPathBenchmarks
{
    private const int Tokens = 49;

    private ResponseCache _cache = null!;
    private PlanExecutor _withBudget = null!;
    private PlanExecutor _withoutBudget = null!;
    private BudgetService _budget = null!;
    private PlannedRequest _request = null!;
    private PlannerUpstream _notCalled = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _cache = ResponseCache.CreateInMemory(CachingBenchmarkValues.OkomeOptions(), new InMemoryCacheStoreOptions(), TimeProvider.System);
        _budget = BudgetService.CreateInMemory(TimeProvider.System);

        // The sample's three limits, wide enough that no run reaches them.
        var policy = new BudgetPolicy(
            "hit-path",
            [
                BudgetLimit.Rate("requests", 60_000_000, TimeSpan.FromMinutes(1)),
                BudgetLimit.Quota("tokens", 1_000_000_000_000, TimeSpan.FromDays(1)),
                BudgetLimit.Concurrency("concurrent", 1_000_000),
            ]);
        _withBudget = new PlanExecutor(_cache, _budget, new PlanExecutorOptions { BudgetPolicy = policy }, null, null, TimeProvider.System, null, null);
        _withoutBudget = new PlanExecutor(_cache, null, new PlanExecutorOptions(), null, null, TimeProvider.System, null, null);
        _request = new PlannedRequest(new CacheRequest(new CacheKey("bench", (UInt128)Random.Shared.NextInt64() << 64 | (ulong)Random.Shared.NextInt64())))
        {
            PartitionKey = "key-bench",
            EstimatedCost = 100,
        };
        _notCalled = static (_, _, _) => throw new InvalidOperationException("The upstream was called for a stored key: the benchmark would measure a miss.");

        // Store the completion as the service does: the upstream streams it, the executor forwards and captures it.
        var chunks = OpenAIStreamSample.Chunks(Tokens);
        PlannerUpstream upstream = (_, _, _) => ValueTask.FromResult(new UpstreamResponse(
            200, [new("content-type", "text/event-stream; charset=utf-8")], Stream(chunks)));
        await using (var first = await _withBudget.ExecuteAsync(_request, upstream, CancellationToken.None))
        {
            await ReadAsync(first);
        }

        // The entry is stored once the stream has ended; wait for it (bounded), then check every method answers HIT.
        for (var attempt = 0; (await _cache.GetCachedAsync(_request.Cache, CancellationToken.None)).Status != CacheStatus.Hit; attempt++)
        {
            if (attempt == 200)
            {
                throw new InvalidOperationException("The streamed completion was not stored.");
            }

            await Task.Delay(10);
        }

        var bytes = chunks.Sum(static c => c.Length);
        if (await Cache_GetOrCreate_ReadBody() != bytes || await Executor_InMemoryBudget_Hit() != bytes || await Executor_NoBudget_Hit() != bytes)
        {
            throw new InvalidOperationException("A HIT did not replay the whole completion.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _withBudget.Dispose();
        _withoutBudget.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async ValueTask<int> Cache_GetOrCreate_ReadBody()
    {
        var response = await _cache.GetOrCreateAsync(_request.Cache, CachingBenchmarkValues.NotCalled, CancellationToken.None);
        CachingBenchmarkValues.EnsureHit(response.Status, "the cache");
        var length = 0;
        await foreach (var chunk in response.Body)
        {
            length += chunk.Length;
        }

        return length;
    }

    [Benchmark]
    public ValueTask<int> Executor_NoBudget_Hit() => HitAsync(_withoutBudget);

    [Benchmark]
    public ValueTask<int> Executor_InMemoryBudget_Hit() => HitAsync(_withBudget);

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Stream(IReadOnlyList<byte[]> chunks)
    {
        foreach (var chunk in chunks)
        {
            await Task.Yield();
            yield return chunk;
        }
    }

    private static async ValueTask<int> ReadAsync(PlannedResponse response)
    {
        var length = 0;
        await foreach (var chunk in response.Body)
        {
            length += chunk.Length;
        }

        return length;
    }

    private async ValueTask<int> HitAsync(PlanExecutor executor)
    {
        var response = await executor.ExecuteAsync(_request, _notCalled, CancellationToken.None);
        await using (response)
        {
            return await ReadAsync(response);
        }
    }
}
