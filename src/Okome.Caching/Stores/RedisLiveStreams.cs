using Okome.Caching.Entries;
using Okome.Caching.Keys;
using Okome.Caching.Streaming;
using StackExchange.Redis;

namespace Okome.Caching.Stores;

/// <summary>
/// Live streams on Redis. The holder appends each record to a Redis stream under <c>okome:{hash}:s</c> (same hash tag as
/// the entry and the lease) and pings the key's notification channel; a follower reads the records after the last one it
/// saw whenever it is pinged (and, in case a ping was lost, after 50 ms without one, then 100 ms… up to once a second). Records: <c>h</c> head, <c>c</c> chunk,
/// <c>e</c> end, <c>f</c> failure. StackExchange.Redis cannot block on <c>XREAD</c> on a shared connection, hence the pings.
/// </summary>
internal sealed class RedisLiveStreams : ILiveStreams
{
    private static readonly RedisValue KindField = "k";
    private static readonly RedisValue ValueField = "v";
    private static readonly RedisValue Ping = "1";

    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly RedisKeys _keys;
    private readonly Func<CacheKey, CancellationToken, ValueTask<StoreRead>> _readEntry;
    private readonly RedisChannel _events;
    private readonly Func<UInt128, byte[]> _startedMessage;

    public RedisLiveStreams(IConnectionMultiplexer redis, TimeProvider timeProvider, RedisKeys keys, Func<CacheKey, CancellationToken, ValueTask<StoreRead>> readEntry, RedisChannel events, Func<UInt128, byte[]> startedMessage)
    {
        _redis = redis;
        _time = timeProvider;
        _keys = keys;
        _readEntry = readEntry;
        _events = events;
        _startedMessage = startedMessage;
    }

    /// <summary>
    /// The longest a follower waits for a ping before it looks anyway (it starts at <see cref="RecheckSchedule.First"/>).
    /// The semaphore's own timeout, so a wait that timed out leaves no waiter behind to swallow the next ping.
    /// </summary>
    internal static TimeSpan Recheck { get; } = TimeSpan.FromSeconds(1);

    public LiveStreamWriter? Begin(CacheKey key, ResponseHead head, TimeSpan timeToLive)
    {
        if (TryEncodeHead(key.Hash, head) is not { } encoded)
        {
            return null;
        }

        var writer = new Writer(_redis.GetDatabase(), _keys, key, timeToLive);
        writer.Start(encoded, _events, _startedMessage(key.Hash));
        return writer;
    }

    public async ValueTask<LiveStreamFollower?> TryFollowAsync(CacheKey key, CancellationToken cancellationToken)
    {
        var first = await _redis.GetDatabase().StreamRangeAsync(_keys.Stream(key), "-", "+", 1).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (first.Length == 0 || Kind(first[0]) != 'h' || !TryDecodeHead(first[0][ValueField], key.Hash, out var head))
        {
            return null;
        }

        return new Follower(this, key, head, first[0].Id);
    }

    private static char Kind(StreamEntry record)
    {
        var kind = record[KindField];
        return kind.IsNull ? '\0' : ((string?)kind) is [var c] ? c : '\0';
    }

    /// <summary>
    /// The head travels in the entry format (an entry without a body, under the key's hash): its reader is already
    /// hardened against foreign bytes and checks the key. A head over the format's limits is not mirrored.
    /// </summary>
    private static byte[]? TryEncodeHead(UInt128 hash, ResponseHead head)
    {
        try
        {
            var epoch = DateTimeOffset.UnixEpoch;
            return CacheEntrySerializer.Serialize(new CacheEntry(hash, head.StatusCode, epoch, epoch, epoch, epoch, null, head.Headers, [], head.IsStreamed));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Decodes a head; foreign, corrupt or another key's bytes are "no stream", never an exception.</summary>
    private static bool TryDecodeHead(RedisValue value, UInt128 hash, out ResponseHead head)
    {
        head = null!;
        if (value.IsNull || CacheEntrySerializer.TryRead(((byte[])value!).AsMemory(), hash, out var entry) != EntryReadStatus.Ok || entry is null)
        {
            return false;
        }

        head = new ResponseHead(entry.StatusCode, entry.Headers, entry.IsStreamed);
        return true;
    }

    /// <summary>
    /// Sends every command fire-and-forget through the client's asynchronous path: its synchronous methods write and flush
    /// the socket on the calling thread even when fire-and-forget, which blocks a pool thread. A leader with many callers on
    /// a starved thread pool is exactly where that hurts (stalls of about a second for every caller of the process).
    /// </summary>
    private sealed class Writer(IDatabase database, RedisKeys keys, CacheKey key, TimeSpan timeToLive) : LiveStreamWriter
    {
        private readonly RedisKey _stream = keys.Stream(key);
        private readonly RedisChannel _notifications = keys.Notifications(key);

        public void Start(byte[] head, RedisChannel events, byte[] startedMessage)
        {
            // Commands on one connection keep their order, so fire-and-forget still delivers head, chunks and end in order.
            try
            {
                Send(database.KeyDeleteAsync(_stream, CommandFlags.FireAndForget));
                Add('h', head);
                Send(database.PublishAsync(events, startedMessage, CommandFlags.FireAndForget));
            }
            catch (RedisException)
            {
                // Not connected: see Send.
            }
        }

        public override void Append(ReadOnlySpan<byte> chunk) => Add('c', chunk.ToArray());

        public override void Complete() => End('e');

        public override void Fail() => End('f');

        private void End(char kind)
        {
            try
            {
                Add(kind, RedisValue.EmptyString);

                // Followers still reading have a few seconds to finish; then the key goes.
                Send(database.KeyExpireAsync(_stream, TimeSpan.FromSeconds(10), flags: CommandFlags.FireAndForget));
            }
            catch (RedisException)
            {
                // Not connected: see Send.
            }
        }

        private void Add(char kind, RedisValue value)
        {
            try
            {
                Send(database.StreamAddAsync(_stream, [new NameValueEntry(KindField, kind.ToString()), new NameValueEntry(ValueField, value)], flags: CommandFlags.FireAndForget));
                Send(database.KeyExpireAsync(_stream, timeToLive, flags: CommandFlags.FireAndForget));
                Send(database.PublishAsync(_notifications, Ping, CommandFlags.FireAndForget));
            }
            catch (RedisException)
            {
                // Not connected: see Send.
            }
        }

        // A fire-and-forget command completes at once; one that could not be sent (not connected) is dropped: followers
        // notice the silence and fall back to the stored entry or fail.
        private static void Send(Task sent)
        {
            if (!sent.IsCompletedSuccessfully)
            {
                _ = sent.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private sealed class Follower(RedisLiveStreams streams, CacheKey key, ResponseHead head, RedisValue headId) : LiveStreamFollower
    {
        public override ResponseHead Head => head;

        public override async Task<LiveStreamEnd> PumpAsync(StreamCapture capture, CancellationToken cancellationToken)
        {
            var database = streams._redis.GetDatabase();
            var stream = streams._keys.Stream(key);
            var pinged = new SemaphoreSlim(0, int.MaxValue);
            var subscriber = streams._redis.GetSubscriber();
            var channel = streams._keys.Notifications(key);
            Action<RedisChannel, RedisValue> onPing = (_, _) => pinged.Release();
            var last = headId;
            var delivered = 0;
            var recheck = new RecheckSchedule(Recheck);
            try
            {
                await subscriber.SubscribeAsync(channel, onPing).WaitAsync(cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    // Exclusive range after the last record seen (Redis 6.2+).
                    var records = await database.StreamRangeAsync(stream, "(" + last, "+", 512).WaitAsync(cancellationToken).ConfigureAwait(false);
                    foreach (var record in records)
                    {
                        last = record.Id;
                        switch (Kind(record))
                        {
                            case 'c':
                                capture.Append((byte[])record[ValueField]!);
                                delivered++;
                                break;
                            case 'e':
                                return LiveStreamEnd.Completed;
                            default:
                                // 'f', or a new head: the stream this follower joined is gone.
                                return LiveStreamEnd.Failed;
                        }
                    }

                    if (records.Length > 0)
                    {
                        continue;
                    }

                    if (await pinged.WaitAsync(recheck.Next(), cancellationToken).ConfigureAwait(false))
                    {
                        recheck.Reset();
                    }
                    else if (!await database.KeyExistsAsync(streams._keys.Lease(key)).WaitAsync(cancellationToken).ConfigureAwait(false))
                    {
                        // No ping and no holder: the holder committed and its end record was lost, or it crashed.
                        return await FinishFromEntryAsync(capture, delivered, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return LiveStreamEnd.Abandoned;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                return LiveStreamEnd.Failed;
            }
            finally
            {
                try
                {
                    await subscriber.UnsubscribeAsync(channel, onPing).ConfigureAwait(false);
                }
                catch (RedisException)
                {
                    // The handler goes with the connection.
                }

                pinged.Dispose();
            }
        }

        private async Task<LiveStreamEnd> FinishFromEntryAsync(StreamCapture capture, int delivered, CancellationToken cancellationToken)
        {
            var read = await streams._readEntry(key, cancellationToken).ConfigureAwait(false);
            if (read.Entry is not { } entry || entry.Chunks.Count < delivered || entry.StatusCode != head.StatusCode)
            {
                return LiveStreamEnd.Failed;
            }

            for (var i = delivered; i < entry.Chunks.Count; i++)
            {
                capture.Append(entry.Chunks[i].Span);
            }

            return LiveStreamEnd.Completed;
        }
    }
}
