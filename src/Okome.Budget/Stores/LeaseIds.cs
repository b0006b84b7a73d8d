using System.Security.Cryptography;

namespace Okome.Budget.Stores;

/// <summary>Random lease ids: unguessable, so one holder cannot settle or release another's lease by accident.</summary>
internal static class LeaseIds
{
    /// <summary>A new lease id: 128 random bits as 32 lower-case hexadecimal digits.</summary>
    public static string Create()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Whether <paramref name="leaseId"/> has the shape <see cref="Create"/> gives (so it can go into a key).</summary>
    public static bool IsValid(string? leaseId)
    {
        if (leaseId is not { Length: 32 })
        {
            return false;
        }

        foreach (var c in leaseId)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
