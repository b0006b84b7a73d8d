using Okome.Shared.StructuredFields;

namespace Okome.Budget.Headers;

/// <summary>One member of the <c>RateLimit-Policy</c> field (draft-ietf-httpapi-ratelimit-headers-10): a named quota policy.</summary>
public readonly struct RateLimitPolicyItem
{
    /// <summary>Creates a policy item.</summary>
    /// <param name="name">The policy name (<c>"burst"</c>, <c>"daily"</c>); printable ASCII.</param>
    /// <param name="quota">The quota (<c>q</c>): units allowed per window; at least zero.</param>
    /// <param name="quotaUnit">The unit (<c>qu</c>): <c>requests</c> (the default when absent), <c>content-bytes</c>, <c>concurrent-requests</c>; or <see langword="null"/>.</param>
    /// <param name="windowSeconds">The window (<c>w</c>) in seconds, at least 1; or <see langword="null"/> when the policy has none.</param>
    public RateLimitPolicyItem(string name, long quota, string? quotaUnit, long? windowSeconds)
    {
        StructuredFieldSyntax.ThrowIfNotPrintableAscii(name, nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegative(quota);
        if (quotaUnit is not null)
        {
            StructuredFieldSyntax.ThrowIfNotPrintableAscii(quotaUnit, nameof(quotaUnit));
        }

        if (windowSeconds is { } w)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(w, 1, nameof(windowSeconds));
        }

        Name = name;
        Quota = quota;
        QuotaUnit = quotaUnit;
        WindowSeconds = windowSeconds;
    }

    /// <summary>The policy name.</summary>
    public string Name { get; }

    /// <summary>The quota (<c>q</c>).</summary>
    public long Quota { get; }

    /// <summary>The quota unit (<c>qu</c>), or <see langword="null"/> when absent (meaning <c>requests</c>).</summary>
    public string? QuotaUnit { get; }

    /// <summary>The window in seconds (<c>w</c>), or <see langword="null"/> when absent.</summary>
    public long? WindowSeconds { get; }
}
