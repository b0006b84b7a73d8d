namespace Okome.Caching.Keys;

/// <summary>
/// Which parts of a request make up its cache key. A <see cref="CacheKeyBuilder"/> copies the policy when it is
/// constructed, so later changes to this object do not affect keys already being built.
/// </summary>
public sealed class CacheKeyPolicy
{
    /// <summary>
    /// Top-level members of the JSON body that do not change the answer and are left out of the key.
    /// Names are compared ordinally after JSON unescaping; nested members with these names are kept.
    /// </summary>
    /// <value>Default: <c>stream</c>, <c>stream_options</c>, <c>user</c>, <c>request_id</c>.</value>
    public IList<string> IgnoredBodyFields { get; } = new List<string> { "stream", "stream_options", "user", "request_id" };

    /// <summary>
    /// Request headers whose values change the answer and so are part of the key. Names are compared
    /// case-insensitively, values ordinally; a header that is absent differs from one that is present and empty.
    /// </summary>
    /// <value>Default: empty.</value>
    public IList<string> SignificantHeaders { get; } = new List<string>();

    /// <summary>Whether the tenant is part of the key, so that two tenants never share an entry.</summary>
    /// <value>Default: <see langword="true"/>.</value>
    public bool IsolateTenants { get; set; } = true;

    /// <summary>
    /// The sampling temperature the upstream applies when a request does not give one; used by
    /// <see cref="CacheKeyBuilder.IsDeterministic(ReadOnlySpan{byte})"/>. OpenAI-compatible servers default to 1,
    /// so a request without <c>temperature</c> counts as non-deterministic. Set 0 for endpoints that do not sample.
    /// </summary>
    /// <value>Default: 1.0. Must be finite and not negative.</value>
    public double DefaultTemperature { get; set; } = 1.0;
}
