using Okome.Budget;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;

namespace Okome.Benchmarks.Modes;

/// <summary>The policies of the budget exactness mode; the parent and every worker build them from the same arguments.</summary>
internal static class BudgetExactnessPolicies
{
    /// <summary>The quota of the reserve/settle accounting check: large enough that no operation is ever denied.</summary>
    public const long AccountingQuota = 1L << 40;

    /// <summary>The concurrency cap of the accounting check: every slot must be back when the workers are done.</summary>
    public const int AccountingConcurrency = 1_000_000;

    /// <summary>The name of the quota limit in both policies.</summary>
    public const string QuotaName = "quota";

    /// <summary>The name of the concurrency limit of the accounting policy.</summary>
    public const string ConcurrencyName = "inflight";

    // The longest calendar window (366 days, aligned to the Unix epoch): a run that takes seconds never sees it roll over,
    // while a one-day window would reset at UTC midnight and grant a second allowance.
    private static readonly TimeSpan Window = BudgetLimit.MaxWindow;

    /// <summary>
    /// The service options of the check: it proves the Redis store's atomicity, so a slow answer is waited for (up to the
    /// longest store timeout allowed) instead of being decided by the failure policy. With the default 250 ms timeout, a loaded
    /// machine sends decisions to the local fallback limiter, which is not shared between processes, and an acquire that timed
    /// out on the client may still have been applied by Redis: neither can be accounted for exactly. Fail-closed makes any
    /// decision the store did not make visible as a denial; the workers also count them (decision source) and report them.
    /// </summary>
    /// <param name="storeTimeoutMilliseconds">The store timeout; the mode's default is the longest allowed, one minute.</param>
    public static BudgetOptions Options(int storeTimeoutMilliseconds) => new()
    {
        StoreTimeout = TimeSpan.FromMilliseconds(storeTimeoutMilliseconds),
        FailureMode = BudgetFailureMode.FailClosed,
    };

    /// <summary>The default of <c>--store-timeout-ms</c>: the longest store timeout the options accept.</summary>
    public const int DefaultStoreTimeoutMilliseconds = 60_000;

    /// <summary>One shared quota of <paramref name="permits"/>, each acquisition reserving one unit.</summary>
    public static BudgetPolicy Permits(int permits)
        => new("exactness-permits", [BudgetLimit.Quota(QuotaName, permits, Window)]);

    /// <summary>
    /// A large quota with reserve-then-settle, plus a rate and a concurrency cap so that the check runs the full three-limit
    /// scripts. Leases last 5 minutes so none expires during a run (an expired lease would still be accounted for, as a
    /// settle that reports NotFound and leaves its reservation charged).
    /// </summary>
    public static BudgetPolicy Accounting()
        => new(
            "exactness-accounting",
            [
                BudgetLimit.Rate("rate", 1_000_000, TimeSpan.FromSeconds(1), int.MaxValue),
                BudgetLimit.Quota(QuotaName, AccountingQuota, Window),
                BudgetLimit.Concurrency(ConcurrencyName, AccountingConcurrency),
            ],
            TimeSpan.FromMinutes(5));
}
