using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace Okome.Gateway.Edge;

/// <summary>
/// The budget partition of a request, exactly as the service computes it: its <c>Authorization: Bearer</c> key hashed
/// (XxHash128, hex), so the key never reaches a log, a metric or Redis, and the gateway's and the service's access lines
/// name a client alike; requests without a bearer key share <see cref="Anonymous"/>.
/// </summary>
internal static class ApiKeys
{
    /// <summary>The partition of requests without a bearer key.</summary>
    public const string Anonymous = "anonymous";

    private const string Scheme = "Bearer ";

    /// <summary>The partition of an <c>Authorization</c> header value.</summary>
    public static string Partition(string? authorization)
    {
        var value = authorization.AsSpan().Trim();
        if (value.Length <= Scheme.Length || !value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return Anonymous;
        }

        var token = value[Scheme.Length..].Trim();
        return token.IsEmpty ? Anonymous : OfKey(token);
    }

    /// <summary>The partition of a bare API key.</summary>
    public static string OfKey(ReadOnlySpan<char> key)
    {
        var bytes = Encoding.UTF8.GetBytes(key.ToString());
        return "key-" + XxHash128.HashToUInt128(bytes).ToString("x32", CultureInfo.InvariantCulture);
    }
}
