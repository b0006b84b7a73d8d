namespace Okome.Planner.Execution;

/// <summary>
/// The <c>X-Request-ID</c> rules the executor applies: echo a usable client id, otherwise generate one. Public so that the
/// host's own layers (an access log middleware, a gateway) give every route the same id by the same rule.
/// </summary>
public static class RequestIds
{
    /// <summary>The longest client id that is echoed.</summary>
    internal const int MaxLength = 128;

    /// <summary>The client's id when it is 1 to 128 visible ASCII characters (no spaces, no controls); otherwise a new 32-hex-digit id.</summary>
    /// <param name="clientId">The client's <c>X-Request-ID</c>, or null.</param>
    /// <returns>The id to use.</returns>
    public static string EchoOrCreate(string? clientId) => IsUsable(clientId) ? clientId! : Create();

    /// <summary>
    /// A new id: a version-4 GUID's 32 hex digits, its random bits from <see cref="Random.Shared"/>. A request id correlates
    /// lines, it is no secret; <see cref="Guid.NewGuid"/> reads the kernel's random source (a <c>read</c> of
    /// <c>/dev/urandom</c> on Linux) for every id, about 1 % of a cached HIT's CPU.
    /// </summary>
    /// <returns>The id.</returns>
    internal static string Create()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4, as Guid.NewGuid's
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes).ToString("N");
    }

    /// <summary>Whether <paramref name="value"/> is 1 to <see cref="MaxLength"/> visible ASCII characters.</summary>
    /// <param name="value">A client's id.</param>
    /// <returns>True when it may be echoed.</returns>
    internal static bool IsUsable(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is <= ' ' or >= (char)0x7F)
            {
                return false;
            }
        }

        return true;
    }
}
