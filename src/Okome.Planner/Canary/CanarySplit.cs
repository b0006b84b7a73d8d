using System.Buffers;
using System.IO.Hashing;
using System.Text;
using Okome.Shared;

namespace Okome.Planner.Canary;

/// <summary>
/// Chooses stable or canary for a request, deterministically: the override header first (when allowed), then the allow-list
/// (canary) and deny-list (stable), then a weighted split by the XxHash3 of the chosen attribute's UTF-8 bytes, so the same
/// value always gets the same upstream and about <see cref="CanaryOptions.Percent"/> % of distinct values get the canary.
/// Pure and thread-safe.
/// </summary>
internal sealed class CanarySplit
{
    private const int StackLimit = 256;
    private readonly HashSet<string> _allow;
    private readonly HashSet<string> _deny;
    private readonly CanarySplitBy _attribute;
    private readonly long _seed;
    private readonly bool _allowOverride;

    // The split compares the top 53 bits of the hash, as a fraction of 2^53, with Percent / 100.
    private readonly ulong _threshold;

    /// <summary>Creates a split.</summary>
    /// <param name="options">The settings; validated and copied.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The settings are invalid; it lists every error.</exception>
    public CanarySplit(CanaryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        OptionsValidation.ThrowIfInvalid(CanaryOptionsValidator.Instance, options);
        Percent = options.Percent;
        OverrideHeaderName = options.OverrideHeaderName;
        _attribute = options.SplitBy;
        _seed = options.Seed;
        _allowOverride = options.AllowHeaderOverride;
        _allow = new HashSet<string>(options.AllowList, StringComparer.Ordinal);
        _deny = new HashSet<string>(options.DenyList, StringComparer.Ordinal);
        _threshold = (ulong)Math.Round(options.Percent / 100 * (1UL << 53));
    }

    /// <summary>The percentage of attribute values the hash split sends to the canary.</summary>
    public double Percent { get; }

    /// <summary>The name of the override header.</summary>
    public string OverrideHeaderName { get; }

    /// <summary>Chooses the upstream for a request.</summary>
    /// <param name="request">The request's attributes.</param>
    /// <returns>The choice and why.</returns>
    public CanaryDecision Choose(in CanaryRequest request)
    {
        if (_allowOverride && TryParseOverride(request.OverrideHeader, out var forced))
        {
            return new CanaryDecision(forced, CanaryReason.Override);
        }

        var value = _attribute switch
        {
            CanarySplitBy.User => request.User,
            CanarySplitBy.RequestId => request.RequestId,
            _ => request.Tenant,
        };
        if (string.IsNullOrEmpty(value))
        {
            return new CanaryDecision(UpstreamChoice.Stable, CanaryReason.MissingAttribute);
        }

        if (_allow.Count > 0 && _allow.Contains(value))
        {
            return new CanaryDecision(UpstreamChoice.Canary, CanaryReason.AllowList);
        }

        if (_deny.Count > 0 && _deny.Contains(value))
        {
            return new CanaryDecision(UpstreamChoice.Stable, CanaryReason.DenyList);
        }

        return new CanaryDecision(IsInCanary(value) ? UpstreamChoice.Canary : UpstreamChoice.Stable, CanaryReason.Split);
    }

    /// <summary>Parses an override header value: <c>canary</c> or <c>stable</c>, case-insensitive, surrounding spaces ignored; never throws.</summary>
    /// <param name="value">The header value.</param>
    /// <param name="upstream">The upstream named.</param>
    /// <returns>Whether the value names an upstream.</returns>
    public static bool TryParseOverride(string? value, out UpstreamChoice upstream)
    {
        var text = value.AsSpan().Trim(" \t");
        if (text.Equals("canary", StringComparison.OrdinalIgnoreCase))
        {
            upstream = UpstreamChoice.Canary;
            return true;
        }

        upstream = UpstreamChoice.Stable;
        return text.Equals("stable", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The hash bucket of a value, in [0, 2^53): the split sends it to the canary when it is below the threshold.</summary>
    internal ulong Bucket(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        var buffer = max <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(value, buffer);
            return XxHash3.HashToUInt64(buffer[..length], _seed) >> 11;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private bool IsInCanary(string value) => Bucket(value) < _threshold;
}
