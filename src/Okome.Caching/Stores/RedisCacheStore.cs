using System.Buffers.Binary;
using System.Text;
using Okome.Caching.Entries;
using Okome.Caching.Keys;
using StackExchange.Redis;

namespace Okome.Caching.Stores;

/// <summary>
/// The shared store on Redis (StackExchange.Redis). A read is one GET; lease, commit and release are one script
/// each, on the entry's hash tag, so everything works on a Redis Cluster. Every node hears the others' events on
/// one pub/sub channel. The store never owns the connection it is given.
/// </summary>
internal sealed class RedisCacheStore : ICacheStore
{
    private const int NodeIdLength = 16;

    /// <summary>
    /// The largest envelope a commit notification carries. Every node hears every notification, so only small entries
    /// travel (a compact streamed completion is a few KiB); a larger one is read by the waiters, once per process.
    /// </summary>
    internal const int InlineEntryLimit = 16 * 1024;

    // '1' / '0' flags of the scripts: commit's "append the envelope", acquire's "look only" ('1') or "take" ('0').
    private static readonly RedisValue Inline = "1";
    private static readonly RedisValue NotInline = "0";
    private static readonly RedisValue Take = NotInline;

    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly RedisChannel _channel;
    private readonly RedisKeys _keys;

    // The channel as the scripts' PUBLISH argument, built once rather than on every write.
    private readonly RedisValue _channelName;
    private readonly byte[] _nodeId = Guid.NewGuid().ToByteArray();
    private readonly Lazy<Task> _listening;

    public RedisCacheStore(IConnectionMultiplexer redis, TimeProvider timeProvider, RedisKeys? keys = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _redis = redis;
        _time = timeProvider;
        _keys = keys ?? RedisKeys.Default;
        _channel = _keys.Events;
        _channelName = _channel.ToString();
        _listening = new Lazy<Task>(SubscribeAsync, LazyThreadSafetyMode.ExecutionAndPublication);
        Live = new RedisLiveStreams(redis, timeProvider, _keys, GetAsync, _channel, hash => EntryMessage(CacheEventKind.StreamStarted, hash));

        // While disconnected, other nodes' events were lost: whoever keeps copies must drop them.
        _redis.ConnectionRestored += (_, _) => Events.Publish(new CacheEvent(CacheEventKind.Reset, default, null, FromThisNode: true));
    }

    public string Kind => "redis";

    public CacheEventHub Events { get; } = new();

    /// <summary>Completes once this node hears other nodes' events; waiters await it before they wait.</summary>
    public Task Listening => _listening.Value;

    public ILiveStreams? Live { get; }

    public bool IsConnected => _redis.IsConnected;

    public Task PingAsync(CancellationToken cancellationToken) => Database.PingAsync().WaitAsync(cancellationToken);

    private IDatabase Database => _redis.GetDatabase();

    /// <summary>Shared by every node on the Redis.</summary>
    public bool IsShared => true;

    /// <summary>Every read is a round trip.</summary>
    public bool HasLocalCopies => false;

    public async ValueTask<StoreRead> GetAsync(CacheKey key, CancellationToken cancellationToken)
        => Decode(key, await StartGet(key).WaitAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Sends the GET and hands back the client's own task: the cache awaits it directly (under its store timeout) and
    /// decodes it with <see cref="EndRead"/>, so a read does not pay for a second state machine and a task wrapper.
    /// </summary>
    public bool BeginRead(in CacheKey key, DateTimeOffset now, out StoreRead read, out Task<RedisValue>? reply)
    {
        read = default;
        reply = StartGet(key);
        return false;
    }

    public StoreRead EndRead(in CacheKey key, RedisValue reply) => Decode(key, reply);

    /// <summary>No copies here: a miss.</summary>
    public StoreRead ReadLocal(in CacheKey key, DateTimeOffset now) => StoreRead.Miss;

    /// <summary>No copies here: nothing to keep.</summary>
    public void KeepLocal(in CacheKey key, CacheEntry entry)
    {
    }

    /// <summary>No copies here: nothing to hold.</summary>
    public void HoldLocalCopies()
    {
    }

    /// <summary>No copies here: nothing to release.</summary>
    public void ReleaseLocalCopies()
    {
    }

    /// <summary>Sends the GET of an entry and returns the client's own task.</summary>
    internal Task<RedisValue> StartGet(in CacheKey key) => Database.StringGetAsync(_keys.Entry(key));

    /// <summary>What a GET answered, as a read: the entry's chunks are slices of the array the client returned (nobody else holds it), never a copy.</summary>
    internal static StoreRead Decode(in CacheKey key, RedisValue value)
    {
        if (value.IsNull)
        {
            return StoreRead.Miss;
        }

        var bytes = (byte[])value!;
        var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), key.Hash, out var entry);
        return new StoreRead(entry, status, EntryStamp.Of(bytes));
    }

    public async ValueTask SetAsync(CacheKey key, CacheEntry entry, CancellationToken cancellationToken)
    {
        var ttl = TimeToLive(entry);
        if (ttl <= 0)
        {
            return;
        }

        await RedisScripts.Write.EvaluateAsync(
            Database,
            [_keys.Entry(key)],
            [CacheEntrySerializer.Serialize(entry), ttl, _channelName, EntryMessage(CacheEventKind.Changed, key.Hash)], cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> RemoveAsync(CacheKey key, CancellationToken cancellationToken)
    {
        var removed = await RedisScripts.Write.EvaluateAsync(
            Database,
            [_keys.Entry(key)],
            [RedisValue.EmptyString, 0, _channelName, EntryMessage(CacheEventKind.Changed, key.Hash)], cancellationToken).ConfigureAwait(false);
        return (long)removed == 1;
    }

    public ValueTask<LeaseAttempt> TryAcquireLeaseAsync(CacheKey key, LeaseToken token, TimeSpan duration, EntryStamp observed, CancellationToken cancellationToken)
        => LeaseScriptAsync(key, token.Value, Milliseconds(duration), observed, Take, cancellationToken);

    public ValueTask<LeaseAttempt> LookAtLeaseAsync(CacheKey key, EntryStamp observed, CancellationToken cancellationToken)
        => LeaseScriptAsync(key, RedisValue.EmptyString, 1, observed, Inline, cancellationToken);

    private async ValueTask<LeaseAttempt> LeaseScriptAsync(CacheKey key, RedisValue token, long milliseconds, EntryStamp observed, RedisValue lookOnly, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await RedisScripts.Acquire.EvaluateAsync(
            Database,
            [_keys.Entry(key), _keys.Lease(key), _keys.Stream(key)],
            [token, milliseconds, observed.ToBytes(), lookOnly], cancellationToken).ConfigureAwait(false))!;
        return (long)result[0] switch
        {
            0 => LeaseAttempt.Acquired,
            1 => LeaseAttempt.Held(TimeSpan.FromMilliseconds(Math.Max(0, (long)result[1])), result.Length > 2 && (long)result[2] == 1),
            3 => LeaseAttempt.Free,
            _ => LeaseAttempt.EntryChanged,
        };
    }

    public async ValueTask<bool> RenewLeaseAsync(CacheKey key, LeaseToken token, TimeSpan duration, CancellationToken cancellationToken)
    {
        var renewed = await RedisScripts.Renew.EvaluateAsync(
            Database,
            [_keys.Lease(key)], [token.Value, Milliseconds(duration)], cancellationToken).ConfigureAwait(false);
        return (long)renewed == 1;
    }

    public async ValueTask<bool> CommitAsync(CacheKey key, LeaseToken token, CacheEntry entry, CancellationToken cancellationToken)
    {
        // An entry already past its store limit is not written, but the lease is still released for the waiters.
        var ttl = Math.Max(1, TimeToLive(entry));
        var envelope = CacheEntrySerializer.Serialize(entry);
        var committed = await RedisScripts.Commit.EvaluateAsync(
            Database,
            [_keys.Entry(key), _keys.Lease(key)],
            [token.Value, envelope, ttl, _channelName, EntryMessage(CacheEventKind.Committed, key.Hash), envelope.Length <= InlineEntryLimit ? Inline : NotInline],
            cancellationToken).ConfigureAwait(false);
        return (long)committed == 1;
    }

    public async ValueTask<bool> ReleaseLeaseAsync(CacheKey key, LeaseToken token, CancellationToken cancellationToken)
    {
        var released = await RedisScripts.Release.EvaluateAsync(
            Database,
            [_keys.Lease(key)],
            [token.Value, _channelName, EntryMessage(CacheEventKind.Released, key.Hash)], cancellationToken).ConfigureAwait(false);
        return (long)released == 1;
    }

    public async ValueTask<long> GetNamespaceVersionAsync(string @namespace, CancellationToken cancellationToken)
    {
        var value = await Database.StringGetAsync(_keys.NamespaceVersion(@namespace)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return value.TryParse(out long version) ? version : 0;
    }

    public async ValueTask<long> BumpNamespaceAsync(string @namespace, CancellationToken cancellationToken)
    {
        var version = await RedisScripts.Bump.EvaluateAsync(
            Database,
            [_keys.NamespaceVersion(@namespace)],
            [_channelName, NamespaceMessage(@namespace)], cancellationToken).ConfigureAwait(false);
        return (long)version;
    }

    private long TimeToLive(CacheEntry entry) => (long)Math.Ceiling((entry.StoreUntil - _time.GetUtcNow()).TotalMilliseconds);

    private static long Milliseconds(TimeSpan duration) => Math.Max(1, (long)Math.Ceiling(duration.TotalMilliseconds));

    private async Task SubscribeAsync()
    {
        var queue = await _redis.GetSubscriber().SubscribeAsync(_channel).ConfigureAwait(false);
        queue.OnMessage(message => Deliver(message.Message));
    }

    private void Deliver(RedisValue message)
    {
        if (TryDecode((byte[])message!, out var cacheEvent))
        {
            // This node's own events come back too; waiters still need them (they may have registered before the
            // local publish), and listeners can tell them apart by FromThisNode.
            Events.Publish(cacheEvent);
        }
    }

    /// <summary>
    /// Message layout: kind (1 byte), node id (16 bytes), then the key hash (16 bytes, little-endian) or the namespace
    /// (UTF-8). A commit's message may go on with the stored envelope (<see cref="InlineEntryLimit"/>), appended by the script.
    /// </summary>
    private byte[] EntryMessage(CacheEventKind kind, UInt128 hash)
    {
        var message = new byte[1 + NodeIdLength + 16];
        message[0] = (byte)kind;
        _nodeId.CopyTo(message, 1);
        BinaryPrimitives.WriteUInt128LittleEndian(message.AsSpan(1 + NodeIdLength), hash);
        return message;
    }

    private byte[] NamespaceMessage(string @namespace)
    {
        var message = new byte[1 + NodeIdLength + Encoding.UTF8.GetByteCount(@namespace)];
        message[0] = (byte)CacheEventKind.NamespaceBumped;
        _nodeId.CopyTo(message, 1);
        Encoding.UTF8.GetBytes(@namespace, message.AsSpan(1 + NodeIdLength));
        return message;
    }

    /// <summary>Decodes a message; anything malformed (another program on the channel) is ignored.</summary>
    private bool TryDecode(byte[]? message, out CacheEvent cacheEvent)
    {
        cacheEvent = default;
        if (message is null || message.Length < 1 + NodeIdLength)
        {
            return false;
        }

        var kind = (CacheEventKind)message[0];
        var fromThisNode = message.AsSpan(1, NodeIdLength).SequenceEqual(_nodeId);
        var body = message.AsSpan(1 + NodeIdLength);
        switch (kind)
        {
            case CacheEventKind.Committed or CacheEventKind.Released or CacheEventKind.Changed or CacheEventKind.StreamStarted when body.Length == 16:
                cacheEvent = new CacheEvent(kind, BinaryPrimitives.ReadUInt128LittleEndian(body), null, fromThisNode);
                return true;
            case CacheEventKind.Committed when body.Length > 16:
                // The envelope is only carried: the waiter that takes it reads it like a GET's answer (key checked).
                cacheEvent = new CacheEvent(kind, BinaryPrimitives.ReadUInt128LittleEndian(body), null, fromThisNode, message.AsMemory(1 + NodeIdLength + 16));
                return true;
            case CacheEventKind.NamespaceBumped when body.Length is > 0 and <= CacheKey.MaxNamespaceLength:
                cacheEvent = new CacheEvent(kind, default, Encoding.UTF8.GetString(body), fromThisNode);
                return true;
            default:
                return false;
        }
    }
}
