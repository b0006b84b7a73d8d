using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace Okome.Caching.Keys;

/// <summary>
/// Turns requests into canonical <see cref="CacheKey"/>s: two requests that mean the same thing get the same key,
/// requests that differ in anything that changes the answer get different keys. Thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// The key hash covers, as one tagged and length-prefixed byte stream (so that no two different sets of parts
/// can produce the same bytes, e.g. "ab"+"c" and "a"+"bc"): the namespace and its version, the method, the route,
/// the model, the tenant (only when <see cref="CacheKeyPolicy.IsolateTenants"/>), the significant headers and the
/// canonical form of the JSON body. The canonical body ignores member order and insignificant whitespace, compares
/// strings after unescaping (<c>"\u0041"</c> equals <c>"A"</c>), normalises numbers exactly as decimals
/// (<c>1</c>, <c>1.0</c>, <c>1e0</c> and <c>10E-1</c> are equal, while integers too large for a double, such as
/// seeds, keep every digit), and leaves out the policy's ignored top-level fields. When an object repeats a
/// member name, the last occurrence wins, as in most JSON parsers the upstream may use.
/// </para>
/// <para>
/// The hash is XxHash128: fast, non-cryptographic, and 128 bits wide, which makes an accidental collision between
/// two distinct requests negligible (about 2^-64 after 2^32 entries). Keys are not an adversarial security
/// boundary: tenant isolation is part of the hashed input rather than relying on the hash being secret, and an
/// attacker able to craft a colliding request would only collide within their own tenant.
/// </para>
/// </remarks>
public sealed class CacheKeyBuilder
{
    private const string FormatVersion = "okome-key/1";

    private readonly byte[][] _ignoredFields;
    private readonly string[] _significantHeaders;
    private readonly bool _isolateTenants;
    private readonly double _defaultTemperature;

    /// <summary>Creates a builder from a copy of <paramref name="policy"/>.</summary>
    /// <param name="policy">The key policy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="policy"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The policy holds an empty or <see langword="null"/> field or header name,
    /// or a default temperature that is negative or not finite.</exception>
    public CacheKeyBuilder(CacheKeyPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var errors = new List<string>();
        if (policy.IgnoredBodyFields.Any(string.IsNullOrEmpty))
        {
            errors.Add($"{nameof(CacheKeyPolicy.IgnoredBodyFields)} holds an empty name.");
        }

        if (policy.SignificantHeaders.Any(string.IsNullOrEmpty))
        {
            errors.Add($"{nameof(CacheKeyPolicy.SignificantHeaders)} holds an empty name.");
        }

        if (!double.IsFinite(policy.DefaultTemperature) || policy.DefaultTemperature < 0)
        {
            errors.Add($"{nameof(CacheKeyPolicy.DefaultTemperature)} must be finite and not negative.");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid cache key policy: " + string.Join(" ", errors), nameof(policy));
        }

        _ignoredFields = policy.IgnoredBodyFields.Distinct(StringComparer.Ordinal).Select(Encoding.UTF8.GetBytes).ToArray();
        _significantHeaders = policy.SignificantHeaders
            .Select(static name => name.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
        _isolateTenants = policy.IsolateTenants;
        _defaultTemperature = policy.DefaultTemperature;
    }

    /// <summary>
    /// Whether keys include the tenant (<see cref="CacheKeyPolicy.IsolateTenants"/>); pass it on as
    /// <see cref="Freshness.ResponseFacts.TenantsIsolated"/>.
    /// </summary>
    public bool IsolateTenants => _isolateTenants;

    /// <summary>Builds the key of a request.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException"><paramref name="request"/> is the default value.</exception>
    /// <exception cref="FormatException">The body is not empty and not valid JSON.</exception>
    public CacheKey Build(in CacheKeyRequest request)
    {
        if (!TryBuild(request, out var key))
        {
            throw new FormatException("The request body is not valid JSON, so it has no canonical cache key.");
        }

        return key;
    }

    /// <summary>Builds the key of a request, or reports that its body is not valid JSON.</summary>
    /// <param name="request">The request.</param>
    /// <param name="key">The key, or the default value when the method returns <see langword="false"/>.</param>
    /// <returns><see langword="false"/> when the body is not empty and not valid JSON.</returns>
    /// <exception cref="ArgumentException"><paramref name="request"/> is the default value.</exception>
    public bool TryBuild(in CacheKeyRequest request, out CacheKey key)
    {
        if (request.Namespace is null)
        {
            throw new ArgumentException("The request is the default value; create it with its constructor.", nameof(request));
        }

        var buffer = KeyBuffer.Rent();
        try
        {
            buffer.WriteString((byte)'V', FormatVersion);
            buffer.WriteString((byte)'S', request.Namespace);
            buffer.WriteByte((byte)'v');
            buffer.WriteInt64(request.NamespaceVersion);
            buffer.WriteString((byte)'m', request.Method);
            buffer.WriteString((byte)'r', request.Route);
            buffer.WriteString((byte)'M', request.Model);
            if (_isolateTenants)
            {
                buffer.WriteString((byte)'T', request.Tenant);
            }

            WriteHeaders(buffer, request.Headers);
            var body = request.Body.Span;
            if (body.IsEmpty)
            {
                buffer.WriteByte((byte)'e');
            }
            else
            {
                buffer.WriteByte((byte)'B');
                try
                {
                    buffer.WriteCanonicalJson(body, _ignoredFields);
                }
                catch (Exception ex) when (ex is JsonException or InvalidOperationException)
                {
                    key = default;
                    return false;
                }
            }

            key = new CacheKey(request.Namespace, XxHash128.HashToUInt128(buffer.Written));
            return true;
        }
        finally
        {
            KeyBuffer.Return(buffer);
        }
    }

    /// <summary>
    /// Whether a chat or completion request asks for a reproducible answer, using the policy's
    /// <see cref="CacheKeyPolicy.DefaultTemperature"/> for a request without <c>temperature</c>.
    /// See <see cref="IsDeterministic(ReadOnlySpan{byte}, double)"/>.
    /// </summary>
    /// <param name="jsonBody">The UTF-8 JSON body.</param>
    /// <returns><see langword="true"/> when the answer is reproducible and so may be cached by default.</returns>
    public bool IsDeterministic(ReadOnlySpan<byte> jsonBody) => IsDeterministic(jsonBody, _defaultTemperature);

    /// <summary>
    /// Whether a chat or completion request asks for a reproducible answer. It does when it carries a non-null
    /// <c>seed</c>, or when its sampling temperature is 0 and it asks for at most one choice (<c>n</c> ≤ 1).
    /// A missing or <c>null</c> <c>temperature</c> counts as <paramref name="defaultTemperature"/>; a temperature
    /// that is not a number, and a body that is not valid JSON, count as non-deterministic. Only top-level members
    /// are read; a body that is not an object has no sampling parameters and so uses the default temperature.
    /// </summary>
    /// <param name="jsonBody">The UTF-8 JSON body.</param>
    /// <param name="defaultTemperature">The temperature the upstream applies when the request does not give one.</param>
    /// <returns><see langword="true"/> when the answer is reproducible and so may be cached by default.</returns>
    internal static bool IsDeterministic(ReadOnlySpan<byte> jsonBody, double defaultTemperature)
    {
        var temperature = defaultTemperature;
        var hasSeed = false;
        var choices = 1.0;
        if (jsonBody.IsEmpty)
        {
            return temperature <= 0; // no body, no sampling parameters: the upstream's defaults apply
        }

        try
        {
            var reader = new Utf8JsonReader(jsonBody);
            if (!reader.Read())
            {
                return temperature <= 0;
            }

            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("temperature"u8))
                    {
                        reader.Read();
                        temperature = reader.TokenType switch
                        {
                            JsonTokenType.Null => defaultTemperature,
                            JsonTokenType.Number when reader.TryGetDouble(out var value) => value,
                            _ => double.PositiveInfinity,
                        };
                    }
                    else if (reader.ValueTextEquals("seed"u8))
                    {
                        reader.Read();
                        hasSeed = reader.TokenType != JsonTokenType.Null;
                    }
                    else if (reader.ValueTextEquals("n"u8))
                    {
                        reader.Read();
                        choices = reader.TokenType switch
                        {
                            JsonTokenType.Null => 1,
                            JsonTokenType.Number when reader.TryGetDouble(out var value) => value,
                            _ => double.PositiveInfinity,
                        };
                    }
                    else
                    {
                        reader.Read();
                    }

                    reader.Skip();
                }
            }

            // Validate the rest of the document: a body the upstream will reject is not worth caching.
            while (reader.Read())
            {
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return hasSeed || (temperature <= 0 && choices <= 1);
    }

    private void WriteHeaders(KeyBuffer buffer, IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        foreach (var name in _significantHeaders)
        {
            buffer.WriteString((byte)'H', name);
            if (headers is not null)
            {
                for (var i = 0; i < headers.Count; i++)
                {
                    var header = headers[i];
                    if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
                    {
                        buffer.WriteString((byte)'h', header.Value);
                    }
                }
            }

            buffer.WriteByte((byte)';');
        }
    }
}
