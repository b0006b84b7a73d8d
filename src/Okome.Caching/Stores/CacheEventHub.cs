using System.Collections.Concurrent;

namespace Okome.Caching.Stores;

/// <summary>
/// Fans events out within one process: wakes the callers waiting on a key's lease, and tells listeners
/// (the in-process L1, namespace version caches) what changed. Stores feed it with their own events and,
/// for Redis, with every other node's through pub/sub.
/// </summary>
/// <remarks>
/// Waiters register before they look at the lease, so an event that arrives between the look and the wait is
/// not lost. All waiters of one key share one signal, replaced after each event.
/// </remarks>
internal sealed class CacheEventHub
{
    private readonly ConcurrentDictionary<UInt128, TaskCompletionSource<CacheEventKind>> _signals = new();

    /// <summary>Raised for every event, after the waiters are woken.</summary>
    public event Action<CacheEvent>? Received;

    /// <summary>A task that completes with the next event for <paramref name="hash"/>.</summary>
    public Task<CacheEventKind> NextEventAsync(UInt128 hash)
        => _signals.GetOrAdd(hash, static _ => new TaskCompletionSource<CacheEventKind>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Drops the signal for <paramref name="hash"/> if it is still <paramref name="signal"/> (a waiter gave up).</summary>
    public void Forget(UInt128 hash, Task<CacheEventKind> signal)
    {
        if (_signals.TryGetValue(hash, out var source) && source.Task == signal && signal.IsCompleted is false)
        {
            // Others may still wait on it: they re-check the store on their own schedule, so dropping is safe.
            _signals.TryRemove(new KeyValuePair<UInt128, TaskCompletionSource<CacheEventKind>>(hash, source));
        }
    }

    /// <summary>The number of keys with waiters (for tests and diagnostics).</summary>
    public int WaitedKeys => _signals.Count;

    /// <summary>Delivers an event to this process.</summary>
    public void Publish(in CacheEvent cacheEvent)
    {
        if (cacheEvent.Kind is not CacheEventKind.NamespaceBumped && _signals.TryRemove(cacheEvent.Hash, out var source))
        {
            source.TrySetResult(cacheEvent.Kind);
        }

        Received?.Invoke(cacheEvent);
    }
}
