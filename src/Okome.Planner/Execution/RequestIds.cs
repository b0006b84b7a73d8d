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
    public static string EchoOrCreate(string? clientId) => IsUsable(clientId) ? clientId! : Guid.NewGuid().ToString("N");

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
