using System.Security.Cryptography;

namespace Okome.Caching.Stores;

/// <summary>
/// A random lease token: whoever holds the token holds the lease. 128 random bits, so one holder can never
/// release or extend another's lease by accident.
/// </summary>
internal readonly record struct LeaseToken(string Value)
{
    public static LeaseToken NewToken() => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));

    public override string ToString() => Value;
}
