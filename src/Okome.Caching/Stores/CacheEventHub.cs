using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Okome.Caching.Stores;

/// <summary>
/// Fans events out within one process: wakes the callers waiting on a key's lease, and tells listeners
/// (the in-process L1, namespace version caches) what changed. Stores feed it with their own events and,
/// for Redis, with every other node's through pub/sub.
/// </summary>
/// <remarks>
/// Waiters register before they look at the lease, so an event that arrives between the look and the wait is
/// not lost. All waiters of one key share one signal. An event that ends the holder's turn (commit, release, write)
/// removes it; <see cref="CacheEventKind.StreamStarted"/> replaces it with a fresh one that the waiters it woke find
/// through <see cref="FollowUp"/>, so the commit that often follows right behind it reaches them even if it arrives
/// before they look again.
/// </remarks>
internal sealed class CacheEventHub
{
    private readonly ConcurrentDictionary<UInt128, TaskCompletionSource<CacheEvent>> _signals = new();

    // A signal completed by a start → the one that replaced it; goes with the completed signal.
    private readonly ConditionalWeakTable<Task<CacheEvent>, Task<CacheEvent>> _followUps = new();

    /// <summary>Raised for every event, before the waiters are woken: they then find the listeners' state up to date.</summary>
    public event Action<CacheEvent>? Received;

    /// <summary>A task that completes with the next event for <paramref name="hash"/>.</summary>
    public Task<CacheEvent> NextEventAsync(UInt128 hash)
        => _signals.GetOrAdd(hash, static _ => NewSignal()).Task;

    /// <summary>The signal that replaced <paramref name="signal"/> when a start completed it; null otherwise.</summary>
    public Task<CacheEvent>? FollowUp(Task<CacheEvent> signal) => _followUps.TryGetValue(signal, out var next) ? next : null;

    /// <summary>Drops the signal for <paramref name="hash"/> if it is still <paramref name="signal"/> (a waiter gave up).</summary>
    public void Forget(UInt128 hash, Task<CacheEvent> signal)
    {
        if (_signals.TryGetValue(hash, out var source) && source.Task == signal && signal.IsCompleted is false)
        {
            // Others may still wait on it: they re-check the store on their own schedule, so dropping is safe.
            _signals.TryRemove(new KeyValuePair<UInt128, TaskCompletionSource<CacheEvent>>(hash, source));
        }
    }

    /// <summary>The number of keys with waiters (for tests and diagnostics).</summary>
    public int WaitedKeys => _signals.Count;

    /// <summary>Delivers an event to this process.</summary>
    public void Publish(in CacheEvent cacheEvent)
    {
        // Listeners first: the L1 drops its old copy before a woken waiter could read it or keep the new one.
        Received?.Invoke(cacheEvent);
        switch (cacheEvent.Kind)
        {
            case CacheEventKind.NamespaceBumped or CacheEventKind.Reset:
                return;
            case CacheEventKind.StreamStarted:
                // Only keys somebody waits on get a fresh signal; it goes with the commit or release that ends the turn.
                while (_signals.TryGetValue(cacheEvent.Hash, out var started))
                {
                    var next = NewSignal();
                    if (_signals.TryUpdate(cacheEvent.Hash, next, started))
                    {
                        _followUps.AddOrUpdate(started.Task, next.Task);
                        started.TrySetResult(cacheEvent);
                        return;
                    }
                }

                return;
            default:
                if (_signals.TryRemove(cacheEvent.Hash, out var source))
                {
                    source.TrySetResult(cacheEvent);
                }

                return;
        }
    }

    private static TaskCompletionSource<CacheEvent> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
