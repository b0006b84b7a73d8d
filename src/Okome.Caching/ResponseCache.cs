using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Caching.Keys;
using Okome.Caching.Stores;
using Okome.Shared;
using StackExchange.Redis;

namespace Okome.Caching;

/// <summary>
/// A cache for an expensive, streaming upstream. For one key, however many callers in however many processes ask at
/// once, the upstream is called once: callers in a process share one call, and across processes a lease in the store
/// elects one caller while the others wait for its notification. See <c>docs/caching.md</c>.
/// </summary>
public abstract class ResponseCache
{
    // Only this package implements the cache (DefaultResponseCache); callers get one from CreateInMemory, CreateRedis or AddOkomeCaching.
    private protected ResponseCache()
    {
    }

    /// <summary>
    /// Raised with the namespace's name when a namespace's version was bumped — by this node, by another node on the same
    /// shared store (through its notification), or by a tool such as <c>okome cache bump</c> — so a component that keeps
    /// entries warm can fetch them again at once. Handlers run on the notification's thread: keep them short (signal
    /// work, do not do it there); an exception a handler throws is logged and the others still run.
    /// </summary>
    public event Action<string>? NamespaceInvalidated;

    /// <summary>Raises <see cref="NamespaceInvalidated"/> for a bump the store reported.</summary>
    private protected void OnStoreEvent(in CacheEvent cacheEvent, ILogger logger)
    {
        if (cacheEvent.Kind != CacheEventKind.NamespaceBumped || cacheEvent.Namespace is not { } name || NamespaceInvalidated is not { } handlers)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((Action<string>)handler)(name);
            }
#pragma warning disable CA1031 // A subscriber's failure must not stop the store's own handling of the notification.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Diagnostics.Log.NamespaceHandlerFailed(logger, name, ex);
            }
        }
    }

    /// <summary>
    /// Answers from the cache or calls <paramref name="factory"/> (at most once per key at a time, everywhere), streams the
    /// upstream's response to this caller and to every caller that joins meanwhile, and stores it once it completed
    /// successfully. Never throws for store failures: without a store the request goes to the upstream (<c>BYPASS</c>).
    /// </summary>
    /// <param name="request">The key and the request's cache directives.</param>
    /// <param name="factory">Calls the upstream.</param>
    /// <param name="cancellationToken">Stops this caller's wait; the shared upstream call goes on while other callers wait for it.</param>
    /// <returns>The response and the cache status to report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="request"/> has no key.</exception>
    /// <exception cref="CacheWaitTimeoutException">The wait budget ran out and the policy is <see cref="WaitTimeoutBehavior.Fail"/>.</exception>
    public abstract ValueTask<CacheResponse> GetOrCreateAsync(in CacheRequest request, UpstreamFactory factory, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="GetOrCreateAsync(in CacheRequest, UpstreamFactory, CancellationToken)"/> deciding on the entry
    /// <paramref name="peek"/> read for the same request, rather than reading the store a second time: a caller that
    /// peeked first (a planner) pays one store read per request. A peek of another key, or one that did not read the
    /// shared store, is ignored (the store is read as usual). The entry may have changed since the peek; the lease taken
    /// for an upstream call compares the entry's stamp, so a change is noticed there as on any read.
    /// </summary>
    /// <param name="request">The key and the request's cache directives.</param>
    /// <param name="peek">What <see cref="PeekAsync"/> answered for <paramref name="request"/>.</param>
    /// <param name="factory">Calls the upstream.</param>
    /// <param name="cancellationToken">Stops this caller's wait; the shared upstream call goes on while other callers wait for it.</param>
    /// <returns>The response and the cache status to report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="request"/> has no key.</exception>
    /// <exception cref="CacheWaitTimeoutException">The wait budget ran out and the policy is <see cref="WaitTimeoutBehavior.Fail"/>.</exception>
    public virtual ValueTask<CacheResponse> GetOrCreateAsync(in CacheRequest request, in CachePeek peek, UpstreamFactory factory, CancellationToken cancellationToken)
        => GetOrCreateAsync(request, factory, cancellationToken);

    /// <summary>
    /// Reads what the cache holds for a request and what <see cref="GetOrCreateAsync(in CacheRequest, UpstreamFactory, CancellationToken)"/> would do with it, without calling
    /// the upstream, joining or waiting. One store read (no lease); a store failure is reported, not thrown. The answer
    /// can be out of date by the time it is used: <see cref="GetOrCreateAsync(in CacheRequest, UpstreamFactory, CancellationToken)"/> decides again on its own read,
    /// unless it is handed the peek (<see cref="GetOrCreateAsync(in CacheRequest, in CachePeek, UpstreamFactory, CancellationToken)"/>).
    /// </summary>
    /// <param name="request">The key and the request's cache directives.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>What the cache would do.</returns>
    /// <exception cref="ArgumentException"><paramref name="request"/> has no key.</exception>
    public abstract ValueTask<CachePeek> PeekAsync(in CacheRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Answers from the cache alone, for a caller that has decided not to call the upstream (it is down, in maintenance,
    /// or the budget or load forbids the call): a fresh entry as <c>HIT</c>; an entry the freshness rules let be served
    /// stale (within <c>stale-while-revalidate</c>, <c>stale-if-error</c> or the request's <c>max-stale</c>) as
    /// <c>STALE</c>; otherwise a <c>504</c> (<see cref="CacheResponse.IsGatewayTimeout"/>), as <c>only-if-cached</c>
    /// answers. One store read; takes no lease, starts no refresh, calls no upstream and logs nothing. A store failure is
    /// the <c>504</c>, not an exception.
    /// </summary>
    /// <param name="request">The key and the request's cache directives.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The cached response, or the gateway timeout.</returns>
    /// <exception cref="ArgumentException"><paramref name="request"/> has no key.</exception>
    public abstract ValueTask<CacheResponse> GetCachedAsync(in CacheRequest request, CancellationToken cancellationToken);

    /// <summary>Removes the entry under <paramref name="key"/> (in its namespace's current version) on every node.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the entry is gone.</returns>
    public abstract ValueTask RemoveAsync(CacheKey key, CancellationToken cancellationToken);

    /// <summary>
    /// The current version of a namespace. The cache applies it to every key itself when it resolves a request (held on
    /// each node, dropped by the bump's notification), so callers need not read it to build keys; it is here for tools
    /// and reports.
    /// </summary>
    /// <param name="cacheNamespace">The namespace.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The version (0 until the namespace is first invalidated).</returns>
    public abstract ValueTask<long> GetNamespaceVersionAsync(string cacheNamespace, CancellationToken cancellationToken);

    /// <summary>
    /// Invalidates every entry of a namespace at once, on every node, by bumping its version: from then on every request
    /// of the namespace resolves to a new key (on other nodes as soon as the bump's notification arrives, and at the latest
    /// after <see cref="ResponseCacheOptions.NamespaceVersionRefresh"/>).
    /// </summary>
    /// <param name="cacheNamespace">The namespace.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new version.</returns>
    public abstract ValueTask<long> InvalidateNamespaceAsync(string cacheNamespace, CancellationToken cancellationToken);

    /// <summary>Creates a cache on the embedded in-memory store (one process).</summary>
    /// <param name="options">The cache options.</param>
    /// <param name="storeOptions">The bounds of the in-memory store.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>The cache.</returns>
    public static ResponseCache CreateInMemory(ResponseCacheOptions options, InMemoryCacheStoreOptions storeOptions, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storeOptions);
        ArgumentNullException.ThrowIfNull(timeProvider);
        return new DefaultResponseCache(new InMemoryCacheStore(storeOptions, timeProvider), options, timeProvider, NullLoggerFactory.Instance, null);
    }

    /// <summary>The Redis store, behind an in-process L1 when <see cref="ResponseCacheOptions.LocalCacheDuration"/> is set.</summary>
    internal static ICacheStore RedisStore(IConnectionMultiplexer redis, ResponseCacheOptions options, TimeProvider timeProvider)
    {
        // Validated first, so a bad prefix is reported with every other problem of the options (the L1's bounds too).
        OptionsValidation.ThrowIfInvalid(ResponseCacheOptionsValidator.Instance, options);
        ICacheStore store = new RedisCacheStore(redis, timeProvider, new RedisKeys(options.KeyPrefix));
        return options.LocalCacheDuration > TimeSpan.Zero && options.LocalCacheBounds is { } bounds
            ? new TieredCacheStore(store, bounds.Copy(), options.LocalCacheDuration, timeProvider)
            : store;
    }

    /// <summary>Creates a cache on Redis, shared by every process that uses the same Redis. The cache never disposes <paramref name="redis"/>.</summary>
    /// <param name="redis">The connection.</param>
    /// <param name="options">The cache options.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="loggerFactory">Where logs go.</param>
    /// <param name="meterFactory">Where metrics go, or null for a plain <see cref="Meter"/>.</param>
    /// <returns>The cache.</returns>
    public static ResponseCache CreateRedis(IConnectionMultiplexer redis, ResponseCacheOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        return new DefaultResponseCache(RedisStore(redis, options, timeProvider), options, timeProvider, loggerFactory, meterFactory);
    }
}
