using Okome.Caching.Keys;
using Okome.Caching.Streaming;

namespace Okome.Caching.Stores;

/// <summary>
/// Streams in flight shared between nodes: the lease holder mirrors the chunks it forwards, and a caller on another node
/// that finds the lease held follows them live instead of waiting for the commit. Only shared stores have it
/// (<see cref="ICacheStore.Live"/>); in one process the flight's <see cref="StreamCapture"/> already does this.
/// </summary>
internal interface ILiveStreams
{
    /// <summary>
    /// Starts mirroring a stream (replacing any ended one under the key) and wakes the key's waiters. Never throws; null
    /// when the head cannot be mirrored (over the entry format's limits, so the response will not be stored either).
    /// </summary>
    LiveStreamWriter? Begin(CacheKey key, ResponseHead head, TimeSpan timeToLive);

    /// <summary>The head of the stream in flight under the key, or null when none has started (or the store failed).</summary>
    ValueTask<LiveStreamFollower?> TryFollowAsync(CacheKey key, CancellationToken cancellationToken);
}
