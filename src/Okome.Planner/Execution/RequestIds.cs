namespace Okome.Planner.Execution;

/// <summary>The <c>X-Request-ID</c> rules: echo a usable client id, otherwise generate one.</summary>
internal static class RequestIds
{
    public const int MaxLength = 128;

    /// <summary>The client's id when it is 1 to 128 visible ASCII characters (no spaces, no controls); otherwise a new 32-hex-digit id.</summary>
    public static string EchoOrCreate(string? clientId) => IsUsable(clientId) ? clientId! : Guid.NewGuid().ToString("N");

    public static bool IsUsable(string? value)
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
