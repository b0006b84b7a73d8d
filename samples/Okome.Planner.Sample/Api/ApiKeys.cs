using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// The budget partition of a request: its <c>Authorization: Bearer</c> key, hashed (XxHash128, hex) so that the key itself
/// never reaches a log, a metric tag or a Redis key; requests without a bearer key share <see cref="Anonymous"/>.
/// </summary>
internal static class ApiKeys
{
    /// <summary>The partition of requests without a bearer key.</summary>
    public const string Anonymous = "anonymous";

    /// <summary>The partition of an <c>Authorization</c> header value, and whether one was sent at all.</summary>
    public static (string Partition, bool HasAuthorization) Partition(string? authorization)
    {
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return (Anonymous, false);
        }

        var value = authorization.AsSpan().Trim();
        const string scheme = "Bearer ";
        if (value.Length <= scheme.Length || !value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return (Anonymous, true);
        }

        var token = value[scheme.Length..].Trim();
        if (token.IsEmpty)
        {
            return (Anonymous, true);
        }

        var bytes = Encoding.UTF8.GetBytes(token.ToString());
        var hash = XxHash128.HashToUInt128(bytes);
        return ("key-" + hash.ToString("x32", CultureInfo.InvariantCulture), true);
    }
}
