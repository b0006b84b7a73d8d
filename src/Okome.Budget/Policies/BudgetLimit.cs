namespace Okome.Budget.Policies;

/// <summary>
/// One limit of a <see cref="BudgetPolicy"/>: a request rate with a burst, a cost quota over a window, or a concurrency cap.
/// Create it with <see cref="Rate(string, int, TimeSpan, int)"/>, <see cref="Quota(string, long, TimeSpan, QuotaWindowKind)"/>
/// or <see cref="Concurrency(string, int)"/>. Immutable.
/// </summary>
public sealed class BudgetLimit
{
    /// <summary>The longest period or window accepted (366 days).</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(366);

    /// <summary>The largest quota accepted (2^50 units, so that every count stays exact in a Lua number).</summary>
    public const long MaxQuota = 1L << 50;

    /// <summary>The largest concurrency cap accepted.</summary>
    public const int MaxConcurrency = 1_000_000;

    private BudgetLimit(string name, BudgetLimitKind kind, long limit, TimeSpan window, int burst, QuotaWindowKind windowKind)
        : this(name, kind, limit, window, burst, windowKind, BudgetLimitScope.Partition)
    {
    }

    private BudgetLimit(string name, BudgetLimitKind kind, long limit, TimeSpan window, int burst, QuotaWindowKind windowKind, BudgetLimitScope scope)
    {
        Scope = scope;
        Name = name;
        Kind = kind;
        Limit = limit;
        Window = window;
        Burst = burst;
        WindowKind = windowKind;
        WindowMicroseconds = window.Ticks / TimeSpan.TicksPerMicrosecond;
        EmissionIntervalMicroseconds = kind == BudgetLimitKind.Rate ? WindowMicroseconds / limit : 0;
    }

    /// <summary>The limit's name, unique within its policy; it is reported as the limit that denied a request.</summary>
    public string Name { get; }

    /// <summary>What the limit counts.</summary>
    public BudgetLimitKind Kind { get; }

    /// <summary>Requests per <see cref="Window"/> (rate), cost units per <see cref="Window"/> (quota), or work in flight (concurrency).</summary>
    public long Limit { get; }

    /// <summary>The rate's period or the quota's window; <see cref="TimeSpan.Zero"/> for a concurrency cap.</summary>
    public TimeSpan Window { get; }

    /// <summary>For a rate, the most requests allowed at once after a quiet spell; for other kinds, <see cref="Limit"/>.</summary>
    public int Burst { get; }

    /// <summary>For a quota, how its window moves; <see cref="QuotaWindowKind.Calendar"/> for other kinds.</summary>
    public QuotaWindowKind WindowKind { get; }

    /// <summary>Whether the limit counts per partition (the default) or over all partitions together (<see cref="AsGlobal"/>).</summary>
    public BudgetLimitScope Scope { get; }

    /// <summary>Whether <see cref="Scope"/> is <see cref="BudgetLimitScope.Global"/>.</summary>
    internal bool IsGlobal => Scope == BudgetLimitScope.Global;

    /// <summary>The window in microseconds.</summary>
    internal long WindowMicroseconds { get; }

    /// <summary>For a rate, the time one request uses up: the period divided by the requests per period, in microseconds.</summary>
    internal long EmissionIntervalMicroseconds { get; }

    /// <summary>A request rate whose burst equals its requests per period.</summary>
    /// <param name="name">The limit's name: 1 to 64 ASCII letters, digits, '.', '-' or '_'.</param>
    /// <param name="permitsPerPeriod">Requests allowed per <paramref name="period"/> in the long run.</param>
    /// <param name="period">The period, from 1 millisecond to 366 days.</param>
    /// <returns>The limit.</returns>
    public static BudgetLimit Rate(string name, int permitsPerPeriod, TimeSpan period) => Rate(name, permitsPerPeriod, period, permitsPerPeriod);

    /// <summary>A request rate with a burst, enforced by GCRA: requests are spaced <paramref name="period"/> / <paramref name="permitsPerPeriod"/> apart, and up to <paramref name="burst"/> may come at once.</summary>
    /// <param name="name">The limit's name: 1 to 64 ASCII letters, digits, '.', '-' or '_'.</param>
    /// <param name="permitsPerPeriod">Requests allowed per <paramref name="period"/> in the long run.</param>
    /// <param name="period">The period, from 1 millisecond to 366 days.</param>
    /// <param name="burst">The most requests allowed at once after a quiet spell; at least 1.</param>
    /// <returns>The limit.</returns>
    /// <exception cref="ArgumentException">A value is out of range, or the spacing between requests is under a microsecond.</exception>
    public static BudgetLimit Rate(string name, int permitsPerPeriod, TimeSpan period, int burst)
    {
        BudgetNames.Validate(name, nameof(name));
        ArgumentOutOfRangeException.ThrowIfLessThan(permitsPerPeriod, 1);
        ValidateWindow(period, nameof(period));
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        var interval = period.Ticks / TimeSpan.TicksPerMicrosecond / permitsPerPeriod;
        if (interval < 1)
        {
            throw new ArgumentException("The period divided by the permits per period must be at least one microsecond.", nameof(permitsPerPeriod));
        }

        if (interval * burst > MaxWindow.Ticks / TimeSpan.TicksPerMicrosecond)
        {
            throw new ArgumentException("The burst times the spacing between requests must not exceed 366 days.", nameof(burst));
        }

        return new BudgetLimit(name, BudgetLimitKind.Rate, permitsPerPeriod, period, burst, QuotaWindowKind.Calendar);
    }

    /// <summary>A quota of cost units per calendar window (aligned to the Unix epoch in UTC: one day = one UTC day).</summary>
    /// <param name="name">The limit's name: 1 to 64 ASCII letters, digits, '.', '-' or '_'.</param>
    /// <param name="limit">Cost units allowed per window, from 1 to <see cref="MaxQuota"/>.</param>
    /// <param name="window">The window, from 1 millisecond to 366 days.</param>
    /// <returns>The limit.</returns>
    public static BudgetLimit Quota(string name, long limit, TimeSpan window) => Quota(name, limit, window, QuotaWindowKind.Calendar);

    /// <summary>A quota of cost units per window.</summary>
    /// <param name="name">The limit's name: 1 to 64 ASCII letters, digits, '.', '-' or '_'.</param>
    /// <param name="limit">Cost units allowed per window, from 1 to <see cref="MaxQuota"/>.</param>
    /// <param name="window">The window, from 1 millisecond to 366 days.</param>
    /// <param name="windowKind">Calendar or rolling window.</param>
    /// <returns>The limit.</returns>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public static BudgetLimit Quota(string name, long limit, TimeSpan window, QuotaWindowKind windowKind)
    {
        BudgetNames.Validate(name, nameof(name));
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxQuota);
        ValidateWindow(window, nameof(window));
        if (windowKind is not (QuotaWindowKind.Calendar or QuotaWindowKind.Rolling))
        {
            throw new ArgumentOutOfRangeException(nameof(windowKind), windowKind, "Unknown quota window kind.");
        }

        return new BudgetLimit(name, BudgetLimitKind.Quota, limit, window, (int)Math.Min(limit, int.MaxValue), windowKind);
    }

    /// <summary>A cap on work in flight. Each granted request holds a slot until its lease is settled or released, or expires.</summary>
    /// <param name="name">The limit's name: 1 to 64 ASCII letters, digits, '.', '-' or '_'.</param>
    /// <param name="maxConcurrent">The most leases held at once, from 1 to <see cref="MaxConcurrency"/>.</param>
    /// <returns>The limit.</returns>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public static BudgetLimit Concurrency(string name, int maxConcurrent)
    {
        BudgetNames.Validate(name, nameof(name));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxConcurrent, MaxConcurrency);
        return new BudgetLimit(name, BudgetLimitKind.Concurrency, maxConcurrent, TimeSpan.Zero, maxConcurrent, QuotaWindowKind.Calendar);
    }

    /// <summary>
    /// This limit shared by all partitions: one budget for every tenant or API key together (for example the total GPU
    /// concurrency), checked with the partition's own limits in the same decision, all or nothing. Policies that have a
    /// global limit of the same name share its state, so give them the same definition. On a single Redis node (and in
    /// memory) the decision stays one atomic step; on a Redis Cluster it takes two (see <c>docs/budget.md</c>).
    /// </summary>
    /// <returns>A global copy of this limit (this instance when it is global already).</returns>
    public BudgetLimit AsGlobal()
        => IsGlobal ? this : new BudgetLimit(Name, Kind, Limit, Window, Burst, WindowKind, BudgetLimitScope.Global);

    /// <summary>The same limit with the scope of <paramref name="like"/> (the local fallback scales limits and keeps their scope).</summary>
    internal BudgetLimit WithScopeOf(BudgetLimit like) => like.IsGlobal ? AsGlobal() : this;

    /// <inheritdoc />
    public override string ToString() => (IsGlobal ? "global " : string.Empty) + Kind switch
    {
        BudgetLimitKind.Rate => $"{Name}: rate {Limit}/{Window} burst {Burst}",
        BudgetLimitKind.Quota => $"{Name}: quota {Limit}/{Window} {WindowKind}",
        _ => $"{Name}: concurrency {Limit}",
    };

    private static void ValidateWindow(TimeSpan window, string parameterName)
    {
        if (window < TimeSpan.FromMilliseconds(1) || window > MaxWindow)
        {
            throw new ArgumentOutOfRangeException(parameterName, window, "The period or window must be from 1 millisecond to 366 days.");
        }
    }
}
