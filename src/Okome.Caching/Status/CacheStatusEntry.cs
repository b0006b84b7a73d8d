using Okome.Shared.StructuredFields;

namespace Okome.Caching.Status;

/// <summary>
/// One cache's member of the RFC 9211 <c>Cache-Status</c> response header: what that cache did with the request.
/// Boolean parameters that are <see langword="false"/> and <see langword="null"/> values are not written.
/// Read from a header with <see cref="CacheStatusHeader.TryParse"/>; this cache's own member of a response is
/// <see cref="CacheResponse.ToCacheStatus(string)"/>. Members are not compared whole (no equality members): read the
/// parameters that matter.
/// </summary>
public readonly struct CacheStatusEntry
{
    private readonly string? _key;
    private readonly string? _detail;

    /// <summary>Creates the member of the cache named <paramref name="cacheName"/>, with no parameters.</summary>
    /// <param name="cacheName">The cache's name: printable ASCII; written bare when it is a valid sf-token, else quoted.</param>
    /// <exception cref="ArgumentException"><paramref name="cacheName"/> is empty or holds a character outside printable ASCII.</exception>
    internal CacheStatusEntry(string cacheName)
    {
        StructuredFieldSyntax.ThrowIfNotPrintableAscii(cacheName, nameof(cacheName));
        CacheName = cacheName;
    }

    /// <summary>The name of the cache this member describes.</summary>
    public string CacheName { get; }

    /// <summary><c>hit</c>: the request was satisfied from the cache without going forward.</summary>
    public bool Hit { get; internal init; }

    /// <summary>
    /// <c>fwd</c>: why the request went forward, as the RFC 9211 token (<c>bypass</c>, <c>method</c>, <c>uri-miss</c>,
    /// <c>vary-miss</c>, <c>miss</c>, <c>request</c>, <c>stale</c>, <c>partial</c>); <see langword="null"/> when it did
    /// not, or when a parsed header gave a value RFC 9211 does not define.
    /// </summary>
    public string? Forward => CacheStatusHeader.ForwardText(ForwardReason);

    /// <summary>The <c>fwd</c> parameter as this package keeps it (no string to compare or allocate).</summary>
    internal CacheForwardReason ForwardReason { get; init; }

    /// <summary><c>fwd-status</c>: the status code the next hop returned, when the request went forward.</summary>
    public int? ForwardStatus { get; internal init; }

    /// <summary><c>ttl</c>: the response's remaining freshness in seconds; negative when it is stale.</summary>
    public long? TimeToLive { get; internal init; }

    /// <summary><c>stored</c>: the response was stored by this cache.</summary>
    public bool Stored { get; internal init; }

    /// <summary><c>collapsed</c>: the request was collapsed with another one, whose upstream call it shared.</summary>
    public bool Collapsed { get; internal init; }

    /// <summary><c>key</c>: the cache key of the response (write only hashes: never request text).</summary>
    /// <exception cref="ArgumentException">The value is empty or holds a character outside printable ASCII.</exception>
    public string? Key
    {
        get => _key;
        internal init
        {
            if (value is not null)
            {
                StructuredFieldSyntax.ThrowIfNotPrintableAscii(value, nameof(Key));
            }

            _key = value;
        }
    }

    /// <summary><c>detail</c>: implementation-specific detail; written bare when it is a valid sf-token, else quoted.</summary>
    /// <exception cref="ArgumentException">The value is empty or holds a character outside printable ASCII.</exception>
    public string? Detail
    {
        get => _detail;
        internal init
        {
            if (value is not null)
            {
                StructuredFieldSyntax.ThrowIfNotPrintableAscii(value, nameof(Detail));
            }

            _detail = value;
        }
    }

    /// <summary>
    /// The member that reports an <c>X-OKOME-Cache</c> status, by this mapping:
    /// <list type="table">
    /// <item><term>HIT</term><description><c>hit</c> (add <c>collapsed</c> for a request that waited on another's upstream call)</description></item>
    /// <item><term>MISS</term><description><c>fwd=miss</c> (add <c>stored</c> when the response was stored)</description></item>
    /// <item><term>EXPIRED</term><description><c>fwd=stale</c> (add <c>stored</c>)</description></item>
    /// <item><term>STALE</term><description><c>hit; detail=stale-if-error</c> (add the negative <c>ttl</c>)</description></item>
    /// <item><term>UPDATING</term><description><c>hit; detail=updating</c> (add the negative <c>ttl</c>)</description></item>
    /// <item><term>REVALIDATED</term><description><c>fwd=stale; fwd-status=304</c></description></item>
    /// <item><term>BYPASS</term><description><c>fwd=bypass</c> (use <c>fwd=request</c> when the client's directives asked for it)</description></item>
    /// </list>
    /// </summary>
    /// <param name="status">The status.</param>
    /// <param name="cacheName">The cache's name.</param>
    /// <returns>The member.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="cacheName"/> is not valid.</exception>
    internal static CacheStatusEntry From(CacheStatus status, string cacheName)
    {
        var entry = new CacheStatusEntry(cacheName);
        return status switch
        {
            CacheStatus.Hit => entry with { Hit = true },
            CacheStatus.Miss => entry with { ForwardReason = CacheForwardReason.Miss },
            CacheStatus.Expired => entry with { ForwardReason = CacheForwardReason.Stale },
            CacheStatus.Stale => entry with { Hit = true, Detail = "stale-if-error" },
            CacheStatus.Updating => entry with { Hit = true, Detail = "updating" },
            CacheStatus.Revalidated => entry with { ForwardReason = CacheForwardReason.Stale, ForwardStatus = 304 },
            CacheStatus.Bypass => entry with { ForwardReason = CacheForwardReason.Bypass },
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a defined cache status."),
        };
    }

    /// <summary>The member as <c>Cache-Status</c> text, for example <c>OKOME; hit; ttl=30</c>.</summary>
    /// <returns>The structured-field text.</returns>
    public override string ToString() => CacheName is null ? string.Empty : CacheStatusHeader.Format(this);
}
