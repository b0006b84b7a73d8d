using Okome.Budget.Decisions;
using Okome.Budget.Leases;
using Okome.Budget.Policies;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Okome.Benchmarks.Budget;

/// <summary>
/// The policies and peer options the budget benchmarks share. Every limit is far larger than any run can use up, so that
/// the benchmarks measure the cost of a decision, never the cost of a denial (each benchmark throws if it is ever denied).
/// </summary>
internal static class BudgetBenchmarkPolicies
{
    /// <summary>
    /// The shape of OKOME's own policy (rate 60/min burst 10 + 200 000 tokens/day + 4 concurrent), with every figure raised:
    /// a rate of 1 000 000/s (the API's finest spacing, 1 µs) with the largest burst it accepts (2^31 - 1, about 35 minutes of
    /// credit), a quota of 2^50 cost units per UTC day, and 1 000 000 concurrent. The lease lasts 10 s instead of 1 min only to
    /// bound the settled-lease records Redis keeps (one per decision, for one lease duration) during a long run.
    /// </summary>
    public static readonly BudgetPolicy ThreeLimits = new(
        "bench-three",
        [
            BudgetLimit.Rate("rate", 1_000_000, TimeSpan.FromSeconds(1), int.MaxValue),
            BudgetLimit.Quota("tokens", BudgetLimit.MaxQuota, TimeSpan.FromDays(1)),
            BudgetLimit.Concurrency("inflight", BudgetLimit.MaxConcurrency),
        ],
        TimeSpan.FromSeconds(10));

    /// <summary>
    /// One rate limit only, the same as the peer's single token bucket. A policy without quota or concurrency cap hands out
    /// no lease, so a decision is exactly one round trip (nothing to settle or release).
    /// </summary>
    public static readonly BudgetPolicy RateOnly = new(
        "bench-rate",
        [BudgetLimit.Rate("rate", 1_000_000, TimeSpan.FromSeconds(1), int.MaxValue)]);

    /// <summary>The cost each OKOME decision reserves and settles.</summary>
    public const long Cost = 1;

    /// <summary>RedisRateLimiting's token bucket (one limit), sized so that it never denies: 10^9 tokens, refilled every second.</summary>
    public static RedisTokenBucketRateLimiter<string> CreatePeer(IConnectionMultiplexer redis, string partition)
        => new(partition, new RedisTokenBucketRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => redis,
            TokenLimit = 1_000_000_000,
            TokensPerPeriod = 1_000_000_000,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        });

    /// <summary>
    /// Checks that the store granted the lease: a denial, or a decision the failure policy made because Redis was slower than
    /// the store timeout (250 ms by default), would measure something else, so the benchmark stops instead.
    /// </summary>
    public static void EnsureGrantedByStore(BudgetLease lease, string what)
    {
        if (!lease.IsAcquired)
        {
            throw Denied(what);
        }

        if (lease.Decision.Source != BudgetDecisionSource.Store)
        {
            throw new InvalidOperationException($"{what} was decided by {lease.Decision.Source}, not by the store: Redis failed or was too slow, and the figures would not be Redis decisions.");
        }
    }

    /// <summary>Stops a benchmark whose limits turned out too small: a denied decision would measure something else.</summary>
    public static InvalidOperationException Denied(string what)
        => new($"{what} was denied: the benchmark's limits must never deny, or it measures denials instead of decisions.");
}
