using System.Globalization;
using Okome.Budget.Policies;

namespace Okome.Planner.Sample.Hosting;

/// <summary>
/// The budget tiers as budget policies, and which tier an API key is in. The default tier (<c>Okome:Budget:*</c>) is the
/// policy <see cref="DefaultPolicyName"/> with the limits <c>requests</c>, <c>tokens</c>, <c>concurrent</c>, as before tiers
/// existed (so its Redis counters and header names stay); a named tier <c>{name}</c> (<c>Okome:Budget:Tiers:{name}:*</c>) is
/// the policy <c>chat-{name}</c> with the limits <c>{name}-requests</c>, <c>{name}-tokens</c>, <c>{name}-concurrent</c>, so
/// its <c>RateLimit-Policy</c> names the tier. A key's partition (<see cref="Api.ApiKeys.Partition"/>) listed in
/// <c>Okome:Budget:Keys</c> is charged its tier's policy; every other partition the default tier's. Built from the validated
/// options, and replaced whole on a good configuration reload (<see cref="ConfigurationReload"/>): readers see the old tiers or the new.
/// </summary>
internal sealed class BudgetTiers
{
    /// <summary>The default tier's policy (the one budget policy before tiers).</summary>
    public const string DefaultPolicyName = "api-key";

    /// <summary>The longest tier name: its policy and limit names (<c>{name}-concurrent</c>) stay within a budget name's 64 characters.</summary>
    public const int MaxTierNameLength = 32;

    private const string KeyHashPrefix = "key-";
    private const int KeyHashLength = 36; // "key-" and 32 hex digits

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    // The tiers now: replaced whole, never changed in place, so a request reads one consistent set.
    private volatile Snapshot _current;

    /// <summary>Builds the tiers from validated settings (<see cref="SampleOptionsValidator"/> has checked names, hashes and limits).</summary>
    public BudgetTiers(SampleOptions.BudgetSettings budget) => _current = Build(budget);

    /// <summary>Every tier's policy, the default tier's first (absent when all its limits are off).</summary>
    public IReadOnlyList<BudgetPolicy> Policies => _current.Policies;

    /// <summary>The default tier's policy name; null when all its limits are off (keys in no tier are then not charged).</summary>
    public string? DefaultPolicy => _current.DefaultPolicy;

    /// <summary>Takes the tiers of <paramref name="next"/> (built from a reloaded, validated configuration).</summary>
    public void ReplaceWith(BudgetTiers next)
    {
        ArgumentNullException.ThrowIfNull(next);
        _current = next._current;
    }

    private static Snapshot Build(SampleOptions.BudgetSettings budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        var policies = new List<BudgetPolicy>();
        string? defaultPolicy = null;
        var defaultLimits = Limits(null, budget.RequestsPerMinute, budget.Burst, budget.TokensPerDay, budget.MaxConcurrent);
        if (defaultLimits.Count > 0)
        {
            policies.Add(new BudgetPolicy(DefaultPolicyName, defaultLimits));
            defaultPolicy = DefaultPolicyName;
        }

        // Configuration keys are case-insensitive: a key's tier matches a tier's name in any case.
        var tierPolicies = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, tier) in budget.Tiers ?? [])
        {
            var rate = tier.RequestsPerMinute ?? 0;
            var policy = new BudgetPolicy(
                PolicyName(name),
                Limits(name + "-", rate, tier.Burst ?? Math.Clamp(rate, 1, 1_000_000), tier.TokensPerDay ?? 0, tier.MaxConcurrent ?? 0));
            policies.Add(policy);
            tierPolicies[name] = policy.Name;
        }

        // Partition (lower-case, as ApiKeys computes it) → the tier's policy name; read on every request.
        var policyByPartition = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (hash, tier) in budget.Keys ?? [])
        {
            policyByPartition[hash.ToLowerInvariant()] = tierPolicies[tier];
        }

        return new Snapshot(policies, defaultPolicy, policyByPartition);
    }

    /// <summary>
    /// Checks the named tiers (<c>Okome:Budget:Tiers:{name}:*</c>: a valid name, limits in the default tier's ranges, at least one
    /// limit on) and the key map (<c>Okome:Budget:Keys:{hash} = {tier}</c>: a hash as <c>okome key-hash</c> prints it, a
    /// defined tier). A key that is not a hash may be a raw API key pasted by mistake: it is never echoed.
    /// </summary>
    internal static void Validate(List<string> errors, SampleOptions.BudgetSettings budget)
    {
        var tiers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, tier) in budget.Tiers ?? [])
        {
            var key = "Okome:Budget:Tiers:" + name;
            if (!BudgetTiers.IsTierName(name))
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key} must be named with 1 to {BudgetTiers.MaxTierNameLength} ASCII letters, digits, '-' or '_'"));
                continue;
            }

            tiers.Add(name);
            var limits = tier ?? new BudgetTierSettings();
            void Range(bool ok, string limit, object? value, string rule)
            {
                if (!ok)
                {
                    errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key}:{limit} {rule} (was {value})"));
                }
            }

            Range(limits.RequestsPerMinute is null or (>= 0 and <= 60_000_000), "RequestsPerMinute", limits.RequestsPerMinute, "must be from 0 (off) to 60000000");
            Range(limits.Burst is null or (>= 1 and <= 1_000_000), "Burst", limits.Burst, "must be from 1 to 1000000");
            Range(limits.Burst is null || limits.RequestsPerMinute > 0, "Burst", limits.Burst, "needs RequestsPerMinute above 0");
            Range(limits.TokensPerDay is null or (>= 0 and <= BudgetLimit.MaxQuota), "TokensPerDay", limits.TokensPerDay, "must be from 0 (off) to 2^50");
            Range(limits.MaxConcurrent is null or (>= 0 and <= BudgetLimit.MaxConcurrency), "MaxConcurrent", limits.MaxConcurrent, "must be from 0 (off) to 1000000");
            if (!(limits.RequestsPerMinute > 0 || limits.TokensPerDay > 0 || limits.MaxConcurrent > 0))
            {
                errors.Add($"{key} has no limits: set at least one of RequestsPerMinute, TokensPerDay or MaxConcurrent above 0");
            }
        }

        foreach (var (hash, tier) in budget.Keys ?? [])
        {
            if (!BudgetTiers.IsKeyHash(hash))
            {
                errors.Add("Okome:Budget:Keys has an entry that is not a key hash (key- and 32 hex digits, as `okome key-hash <key>` prints it); the entry is not shown, since it may be a raw API key");
                continue;
            }

            if (string.IsNullOrWhiteSpace(tier) || !tiers.Contains(tier))
            {
                errors.Add($"Okome:Budget:Keys:{hash} names the tier '{tier}', which Okome:Budget:Tiers does not define");
            }
        }
    }

    /// <summary>The policy name of a named tier.</summary>
    public static string PolicyName(string tier) => "chat-" + tier;

    /// <summary>
    /// The policy a partition is charged: its named tier's, else the default tier's (null when that has every limit off).
    /// Always named, never the executor's own policy, so a reloaded default tier applies too.
    /// </summary>
    public string? PolicyOf(string partition)
    {
        var current = _current;
        return current.PolicyByPartition.GetValueOrDefault(partition) ?? current.DefaultPolicy;
    }

    /// <summary>Whether a tier name is 1 to <see cref="MaxTierNameLength"/> ASCII letters, digits, '-' or '_'.</summary>
    public static bool IsTierName(string? name)
        => name is { Length: > 0 and <= MaxTierNameLength } && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>Whether a configuration key is a key hash as <c>okome key-hash</c> prints it: <c>key-</c> and 32 hex digits.</summary>
    public static bool IsKeyHash(string? hash)
        => hash is { Length: KeyHashLength }
            && hash.StartsWith(KeyHashPrefix, StringComparison.OrdinalIgnoreCase)
            && !hash.AsSpan(KeyHashPrefix.Length).ContainsAnyExcept(HexDigits);

    /// <summary>A tier's limits, named with <paramref name="prefix"/>: rate (with burst), tokens per UTC day, concurrency; empty when all are off.</summary>
    internal static List<BudgetLimit> Limits(string? prefix, int requestsPerMinute, int burst, long tokensPerDay, int maxConcurrent)
    {
        var limits = new List<BudgetLimit>(3);
        if (requestsPerMinute > 0)
        {
            limits.Add(BudgetLimit.Rate(prefix + "requests", requestsPerMinute, TimeSpan.FromMinutes(1), burst));
        }

        if (tokensPerDay > 0)
        {
            limits.Add(BudgetLimit.Quota(prefix + "tokens", tokensPerDay, TimeSpan.FromDays(1), QuotaWindowKind.Calendar));
        }

        if (maxConcurrent > 0)
        {
            limits.Add(BudgetLimit.Concurrency(prefix + "concurrent", maxConcurrent));
        }

        return limits;
    }

    private sealed record Snapshot(IReadOnlyList<BudgetPolicy> Policies, string? DefaultPolicy, Dictionary<string, string> PolicyByPartition);
}
