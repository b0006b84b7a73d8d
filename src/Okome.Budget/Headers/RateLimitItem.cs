using Okome.Shared.StructuredFields;

namespace Okome.Budget.Headers;

/// <summary>One member of the <c>RateLimit</c> field (draft-ietf-httpapi-ratelimit-headers-10): what is left of a named policy.</summary>
public readonly struct RateLimitItem
{
    /// <summary>Creates an item.</summary>
    /// <param name="name">The policy name, as in <c>RateLimit-Policy</c>; printable ASCII.</param>
    /// <param name="remaining">Units left (<c>r</c>); at least zero.</param>
    /// <param name="resetSeconds">Seconds until the quota resets (<c>t</c>), at least zero; or <see langword="null"/> when absent.</param>
    public RateLimitItem(string name, long remaining, long? resetSeconds)
    {
        StructuredFieldSyntax.ThrowIfNotPrintableAscii(name, nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegative(remaining);
        if (resetSeconds is { } t)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(t, nameof(resetSeconds));
        }

        Name = name;
        Remaining = remaining;
        ResetSeconds = resetSeconds;
    }

    /// <summary>The policy name.</summary>
    public string Name { get; }

    /// <summary>Units left (<c>r</c>).</summary>
    public long Remaining { get; }

    /// <summary>Seconds until the quota resets (<c>t</c>), or <see langword="null"/> when absent.</summary>
    public long? ResetSeconds { get; }
}
