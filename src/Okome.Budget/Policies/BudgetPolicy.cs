namespace Okome.Budget.Policies;

/// <summary>
/// A named set of limits checked together, all or nothing, for one partition (tenant, API key, client IP…).
/// For example <c>60 requests/min with burst 10</c>, <c>200 000 tokens/day</c> and <c>4 concurrent</c>. Immutable.
/// </summary>
public sealed class BudgetPolicy
{
    /// <summary>The most limits one policy holds.</summary>
    public const int MaxLimits = 16;

    /// <summary>The lease duration used when none is given.</summary>
    internal static readonly TimeSpan DefaultLeaseDuration = TimeSpan.FromMinutes(1);

    private readonly BudgetLimit[] _limits;

    /// <summary>Creates a policy whose leases last <see cref="DefaultLeaseDuration"/>.</summary>
    /// <param name="name">The policy's name: 1 to 64 ASCII letters, digits, '.', '-' or '_'.</param>
    /// <param name="limits">1 to 16 limits with distinct names.</param>
    public BudgetPolicy(string name, IEnumerable<BudgetLimit> limits)
        : this(name, limits, DefaultLeaseDuration)
    {
    }

    /// <summary>Creates a policy.</summary>
    /// <param name="name">The policy's name: 1 to 64 ASCII letters, digits, '.', '-' or '_'.</param>
    /// <param name="limits">1 to 16 limits with distinct names.</param>
    /// <param name="leaseDuration">
    /// How long a lease lives without renewal: its concurrency slots come back and its reservation can no longer be
    /// settled (it stays charged) when it ends. From 1 millisecond to 1 day.
    /// </param>
    /// <exception cref="ArgumentException">A value is out of range, a limit is null, or two limits share a name.</exception>
    public BudgetPolicy(string name, IEnumerable<BudgetLimit> limits, TimeSpan leaseDuration)
    {
        BudgetNames.Validate(name, nameof(name));
        ArgumentNullException.ThrowIfNull(limits);
        if (leaseDuration < TimeSpan.FromMilliseconds(1) || leaseDuration > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(leaseDuration), leaseDuration, "The lease duration must be from 1 millisecond to 1 day.");
        }

        _limits = [.. limits];
        if (_limits.Length is 0 or > MaxLimits)
        {
            throw new ArgumentException($"A budget policy has 1 to {MaxLimits} limits.", nameof(limits));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var limit in _limits)
        {
            if (limit is null)
            {
                throw new ArgumentException("A budget policy's limits must not be null.", nameof(limits));
            }

            if (!names.Add(limit.Name))
            {
                throw new ArgumentException($"Two limits of the budget policy are named '{limit.Name}'.", nameof(limits));
            }

            HasLeasedLimits |= limit.Kind is BudgetLimitKind.Quota or BudgetLimitKind.Concurrency;
        }

        var global = new List<int>();
        var local = new List<int>();
        for (var i = 0; i < _limits.Length; i++)
        {
            (_limits[i].IsGlobal ? global : local).Add(i);
        }

        GlobalLimitIndexes = [.. global];
        PartitionLimitIndexes = [.. local];

        Name = name;
        LeaseDuration = leaseDuration;

        // What a cache answer is charged: the same limits (same state, all reported), only the rate limits checked and charged.
        RateView = Array.TrueForAll(_limits, static l => l.Kind == BudgetLimitKind.Rate) ? this : new BudgetPolicy(this);
    }

    /// <summary>The <see cref="RateView"/> of <paramref name="whole"/>: its limits, no lease, only rate limits charged.</summary>
    private BudgetPolicy(BudgetPolicy whole)
    {
        _limits = whole._limits;
        Name = whole.Name;
        LeaseDuration = whole.LeaseDuration;
        GlobalLimitIndexes = whole.GlobalLimitIndexes;
        PartitionLimitIndexes = whole.PartitionLimitIndexes;
        ChargesRatesOnly = true;
        RateView = this;
    }

    /// <summary>The policy's name.</summary>
    public string Name { get; }

    /// <summary>The limits, in the order they are checked; the first that denies is reported.</summary>
    public IReadOnlyList<BudgetLimit> Limits => _limits;

    /// <summary>How long a lease lives without renewal.</summary>
    public TimeSpan LeaseDuration { get; }

    /// <summary>Whether a granted request gets a lease (the policy has a quota, whose reservation can be settled, or a concurrency cap).</summary>
    internal bool HasLeasedLimits { get; }

    /// <summary>Whether a limit is shared by all partitions (<see cref="BudgetLimit.AsGlobal"/>).</summary>
    internal bool HasGlobalLimits => GlobalLimitIndexes.Length != 0;

    /// <summary>The indexes, in policy order, of the global limits.</summary>
    internal int[] GlobalLimitIndexes { get; }

    /// <summary>The indexes, in policy order, of the per-partition limits.</summary>
    internal int[] PartitionLimitIndexes { get; }

    /// <summary>
    /// What a cache answer is charged (<see cref="BudgetService.ChargeRatesAsync"/>): the same limits and state, every limit
    /// reported, but only the rate limits checked and charged; no lease (<see cref="ChargesRatesOnly"/>). The policy itself
    /// when it has only rate limits. One script call.
    /// </summary>
    internal BudgetPolicy RateView { get; }

    /// <summary>
    /// Whether this is another policy's <see cref="RateView"/>: quotas and concurrency caps are reported, never deny and are
    /// not charged (scripts: <c>ARGV[5] = 'h'</c>). Its denials say nothing about the whole policy, so the denied-until cache skips it.
    /// </summary>
    internal bool ChargesRatesOnly { get; }

    /// <summary>The lease duration in microseconds.</summary>
    internal long LeaseMicroseconds => LeaseDuration.Ticks / TimeSpan.TicksPerMicrosecond;

    /// <summary>The limits as an array, for the stores.</summary>
    internal ReadOnlySpan<BudgetLimit> LimitSpan => _limits;
}
