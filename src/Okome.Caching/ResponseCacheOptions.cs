using Okome.Caching.Freshness;
using Okome.Caching.Keys;

namespace Okome.Caching;

/// <summary>
/// Options of a <see cref="ResponseCache"/>. Validated when the cache is built (one
/// <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> lists every error); the cache keeps a copy.
/// </summary>
public sealed class ResponseCacheOptions
{
    internal static readonly TimeSpan MaxAbandonedStreamDrain = TimeSpan.FromHours(1);

    /// <summary>The freshness policy of namespaces without one of their own in <see cref="Namespaces"/>.</summary>
    /// <value>Default: a new <see cref="FreshnessPolicy"/> (5 min fresh, 1 min stale-while-revalidate, 10 min stale-if-error).</value>
    public FreshnessPolicy Freshness { get; set; } = new();

    /// <summary>Freshness policies per namespace.</summary>
    public IDictionary<string, FreshnessPolicy> Namespaces { get; } = new Dictionary<string, FreshnessPolicy>(StringComparer.Ordinal);

    /// <summary>How long a lease holder may call the upstream before others may take over; renewed while it runs.</summary>
    /// <value>Default 30 s.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a caller waits for another caller's upstream call before <see cref="WaitTimeoutBehavior"/> applies.</summary>
    /// <value>Default 60 s (a long generation may take that).</value>
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>What a caller does when its wait budget runs out.</summary>
    /// <value>Default <see cref="Caching.WaitTimeoutBehavior.ServeStale"/>.</value>
    public WaitTimeoutBehavior WaitTimeoutBehavior { get; set; } = WaitTimeoutBehavior.ServeStale;

    /// <summary>The longest a store operation may take before the request path goes on without the store.</summary>
    /// <value>Default 500 ms.</value>
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Consecutive store failures or timeouts after which the store is skipped for <see cref="StoreBreakDuration"/>
    /// (a connection that reports itself down skips it at once). Requests then go on without the store at once
    /// (<c>BYPASS</c>, or a fresh in-process copy) instead of each waiting out <see cref="StoreTimeout"/>.
    /// </summary>
    /// <value>Default 3.</value>
    public int StoreFailureThreshold { get; set; } = 3;

    /// <summary>
    /// How long the store is skipped once <see cref="StoreFailureThreshold"/> is reached; then one background PING (bounded by
    /// <see cref="StoreTimeout"/>) decides whether it is used again or skipped for another break.
    /// </summary>
    /// <value>Default 1 s.</value>
    public TimeSpan StoreBreakDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long callers wait for the upstream's answer (its status and headers) when a stale entry is within its
    /// stale-if-error window: past it they get the stale entry (<c>STALE</c>) at once, while the upstream call goes on in
    /// the background and stores its result. Zero turns it off.
    /// </summary>
    /// <value>Default zero (off).</value>
    public TimeSpan FactorySoftTimeout { get; set; }

    /// <summary>
    /// The longest the upstream may take to answer (its status and headers; a stream may then run as long as it
    /// streams): past it the call is cancelled and counts as failed — stale-if-error applies, else the caller gets a
    /// <see cref="TimeoutException"/>. Zero turns it off.
    /// </summary>
    /// <value>Default zero (off).</value>
    public TimeSpan FactoryHardTimeout { get; set; }

    /// <summary>
    /// How long an upstream stream that will be stored goes on once every reader has left before its end: if the upstream
    /// ends within it, the response is stored; otherwise the call is cancelled and nothing is stored. Clients that stop
    /// reading at their own end marker (the OpenAI clients hang up at <c>data: [DONE]</c>) leave just before the
    /// upstream's end of stream; without a drain their complete answers would be lost to the cache. The upstream call (and
    /// whatever it holds, such as a GPU slot) runs on meanwhile. Zero cancels at once. At most one hour.
    /// </summary>
    /// <value>Default 2 s.</value>
    public TimeSpan AbandonedStreamDrain { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The longest a waiter waits for a notification before it looks again (a lost pub/sub message, a crashed holder): it
    /// looks after 50 ms first, then twice as long each time up to this.
    /// </summary>
    /// <value>Default 1 s.</value>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a node trusts its copy of a namespace version without hearing of a bump.</summary>
    /// <value>Default 5 s.</value>
    public TimeSpan NamespaceVersionRefresh { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a node keeps an in-process copy (L1) of an entry read from a shared store, so fresh hits need no round trip.
    /// Copies are dropped when another node changes the entry or bumps its namespace (pub/sub); this bounds how long a copy
    /// can outlive a lost message. Zero turns the L1 off.
    /// </summary>
    /// <value>Default zero (off): every lookup reads the shared store.</value>
    public TimeSpan LocalCacheDuration { get; set; }

    /// <summary>The bounds of the in-process copy (L1) when <see cref="LocalCacheDuration"/> is set.</summary>
    /// <value>Default: a new <see cref="Stores.InMemoryCacheStoreOptions"/> (10 000 entries, 256 MiB).</value>
    public Stores.InMemoryCacheStoreOptions LocalCacheBounds { get; set; } = new();

    /// <summary>The response headers stored and replayed (names compared case-insensitively).</summary>
    /// <value>Default <c>content-type</c>, <c>content-encoding</c>, <c>content-language</c>, <c>etag</c>, <c>last-modified</c>, <c>cache-control</c>, <c>vary</c>.</value>
    public ISet<string> StoredHeaders { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "content-type", "content-encoding", "content-language", "etag", "last-modified", "cache-control", "vary",
    };

    /// <summary>
    /// The prefix of every Redis key and pub/sub channel of this cache (<c>&lt;prefix&gt;:{hash}:e</c>,
    /// <c>&lt;prefix&gt;:events</c>, ...): give each application that shares a Redis its own, so neither sees the other's
    /// entries or events. 1 to 64 printable ASCII characters, without spaces, <c>{</c> or <c>}</c> (a brace would break
    /// the hash tag that keeps each entry's keys on one cluster slot). Unused by the in-memory store.
    /// </summary>
    /// <value>Default <c>okome</c>.</value>
    public string KeyPrefix { get; set; } = RedisKeys.DefaultPrefix;

    /// <summary>A copy, so later changes to this instance do not reach a running cache (validate first: <see cref="ResponseCacheOptionsValidator"/>).</summary>
    internal ResponseCacheOptions Copy()
    {
        var copy = new ResponseCacheOptions
        {
            Freshness = Freshness,
            LeaseDuration = LeaseDuration,
            WaitTimeout = WaitTimeout,
            WaitTimeoutBehavior = WaitTimeoutBehavior,
            StoreTimeout = StoreTimeout,
            StoreFailureThreshold = StoreFailureThreshold,
            StoreBreakDuration = StoreBreakDuration,
            RecheckInterval = RecheckInterval,
            NamespaceVersionRefresh = NamespaceVersionRefresh,
            LocalCacheDuration = LocalCacheDuration,
            FactorySoftTimeout = FactorySoftTimeout,
            FactoryHardTimeout = FactoryHardTimeout,
            AbandonedStreamDrain = AbandonedStreamDrain,
            LocalCacheBounds = LocalCacheBounds,
            KeyPrefix = KeyPrefix,
        };
        foreach (var (name, policy) in Namespaces)
        {
            copy.Namespaces[name] = policy;
        }

        copy.StoredHeaders.Clear();
        copy.StoredHeaders.UnionWith(StoredHeaders);
        return copy;
    }
}
