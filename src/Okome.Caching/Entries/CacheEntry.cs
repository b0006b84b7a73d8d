using System.Buffers;
using System.Collections.ObjectModel;
using System.Runtime.InteropServices;
using System.Text;

namespace Okome.Caching.Entries;

/// <summary>
/// One cached upstream response: status, freshness windows, validator, the response headers worth keeping
/// and the payload as the chunk list the upstream produced (so a replayed stream keeps its framing).
/// Immutable: entries are shared across threads, so the constructor copies everything it is given.
/// </summary>
/// <remarks>
/// Times are kept in UTC at millisecond precision, the precision of the stored format; the properties return
/// the normalized values. The limits (<see cref="MaxHeaderCount"/>, <see cref="MaxChunkCount"/>, ...) are the
/// limits of the stored format, so every entry that can be constructed can be stored and read back.
/// </remarks>
internal sealed class CacheEntry
{
    /// <summary>The most headers an entry keeps.</summary>
    public const int MaxHeaderCount = 128;

    /// <summary>The most UTF-8 bytes of all header names and values together.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>The most UTF-8 bytes of the entity tag.</summary>
    public const int MaxETagBytes = 8 * 1024;

    /// <summary>The most payload chunks an entry holds (a long token stream has one chunk per token).</summary>
    public const int MaxChunkCount = 1024 * 1024;

    /// <summary>The largest payload, in bytes, summed over all chunks (256 MiB; Redis strings stop at 512 MB).</summary>
    public const long MaxPayloadLength = 256L * 1024 * 1024;

    // CR, LF and NUL would let a stored header split or truncate the response it is replayed into.
    private static readonly SearchValues<char> s_forbiddenChars = SearchValues.Create("\r\n\0");

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // The entry owns both arrays and never writes them after construction; the public lists wrap them on first use.
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly ReadOnlyMemory<byte>[] _chunks;
    private ReadOnlyCollection<KeyValuePair<string, string>>? _headerList;
    private ReadOnlyCollection<ReadOnlyMemory<byte>>? _chunkList;

    // The whole payload as one block when the chunks lie end to end in one array (always when the entry made the copy, and
    // when the serializer copied the payload): a replay can be written with one write instead of one per chunk.
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly bool _isContiguous;

    /// <summary>Creates an entry whose payload is a single chunk (a response that was not streamed).</summary>
    /// <param name="keyHash">The <see cref="Keys.CacheKey.Hash"/> the entry is stored under.</param>
    /// <param name="statusCode">The upstream status code, 100 to 599.</param>
    /// <param name="created">When the entry was stored.</param>
    /// <param name="freshUntil">The end of freshness; not before <paramref name="created"/>.</param>
    /// <param name="staleUntil">The end of the stale-while-revalidate window; not before <paramref name="freshUntil"/>.</param>
    /// <param name="errorUntil">The end of the stale-if-error window; not before <paramref name="freshUntil"/>.</param>
    /// <param name="etag">The upstream entity tag, or <see langword="null"/>.</param>
    /// <param name="headers">The response headers to replay; copied.</param>
    /// <param name="body">The response body; copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="headers"/> or a header name or value is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The status code or a time is out of range or order.</exception>
    /// <exception cref="ArgumentException">A header, the entity tag or the body breaks a limit or holds CR, LF, NUL or a lone surrogate.</exception>
    public CacheEntry(
        UInt128 keyHash,
        int statusCode,
        DateTimeOffset created,
        DateTimeOffset freshUntil,
        DateTimeOffset staleUntil,
        DateTimeOffset errorUntil,
        string? etag,
        IEnumerable<KeyValuePair<string, string>> headers,
        ReadOnlyMemory<byte> body)
        : this(keyHash, statusCode, created, freshUntil, staleUntil, errorUntil, etag, headers, [body], isStreamed: false)
    {
    }

    /// <summary>Creates an entry.</summary>
    /// <param name="keyHash">The <see cref="Keys.CacheKey.Hash"/> the entry is stored under.</param>
    /// <param name="statusCode">The upstream status code, 100 to 599.</param>
    /// <param name="created">When the entry was stored.</param>
    /// <param name="freshUntil">The end of freshness; not before <paramref name="created"/>.</param>
    /// <param name="staleUntil">The end of the stale-while-revalidate window; not before <paramref name="freshUntil"/>.</param>
    /// <param name="errorUntil">The end of the stale-if-error window; not before <paramref name="freshUntil"/>.</param>
    /// <param name="etag">The upstream entity tag, or <see langword="null"/>.</param>
    /// <param name="headers">The response headers to replay; copied.</param>
    /// <param name="chunks">The payload in the framing the upstream produced; the list and the bytes are copied.</param>
    /// <param name="isStreamed">Whether the upstream streamed the response (a replay streams it back chunk by chunk).</param>
    /// <exception cref="ArgumentNullException"><paramref name="headers"/>, <paramref name="chunks"/> or a header name or value is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The status code or a time is out of range or order.</exception>
    /// <exception cref="ArgumentException">A header, the entity tag or the chunks break a limit or hold CR, LF, NUL or a lone surrogate.</exception>
    public CacheEntry(
        UInt128 keyHash,
        int statusCode,
        DateTimeOffset created,
        DateTimeOffset freshUntil,
        DateTimeOffset staleUntil,
        DateTimeOffset errorUntil,
        string? etag,
        IEnumerable<KeyValuePair<string, string>> headers,
        IEnumerable<ReadOnlyMemory<byte>> chunks,
        bool isStreamed)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        ArgumentOutOfRangeException.ThrowIfLessThan(freshUntil, created);
        ArgumentOutOfRangeException.ThrowIfLessThan(staleUntil, freshUntil);
        ArgumentOutOfRangeException.ThrowIfLessThan(errorUntil, freshUntil);

        if (etag is not null)
        {
            if (ValidateText(etag, nameof(etag)) > MaxETagBytes)
            {
                throw new ArgumentException($"An entity tag has at most {MaxETagBytes} UTF-8 bytes.", nameof(etag));
            }
        }

        var headerArray = headers.ToArray();
        if (headerArray.Length > MaxHeaderCount)
        {
            throw new ArgumentException($"An entry keeps at most {MaxHeaderCount} headers.", nameof(headers));
        }

        long headerBytes = 0;
        foreach (var (name, value) in headerArray)
        {
            ArgumentNullException.ThrowIfNull(name, nameof(headers));
            ArgumentNullException.ThrowIfNull(value, nameof(headers));
            if (name.Length == 0)
            {
                throw new ArgumentException("A header name is not empty.", nameof(headers));
            }

            headerBytes += ValidateText(name, nameof(headers)) + ValidateText(value, nameof(headers));
        }

        if (headerBytes > MaxHeaderBytes)
        {
            throw new ArgumentException($"The headers of an entry have at most {MaxHeaderBytes} UTF-8 bytes together.", nameof(headers));
        }

        var chunkArray = chunks.ToArray();
        if (chunkArray.Length > MaxChunkCount)
        {
            throw new ArgumentException($"An entry holds at most {MaxChunkCount} chunks.", nameof(chunks));
        }

        long payloadLength = 0;
        foreach (var chunk in chunkArray)
        {
            payloadLength += chunk.Length;
        }

        if (payloadLength > MaxPayloadLength)
        {
            throw new ArgumentException($"The payload of an entry has at most {MaxPayloadLength} bytes.", nameof(chunks));
        }

        // One buffer for all chunks: the caller keeps its own buffers (which it may reuse), the entry keeps a copy
        // nobody else can write to.
        var payload = payloadLength == 0 ? [] : new byte[payloadLength];
        var offset = 0;
        for (var i = 0; i < chunkArray.Length; i++)
        {
            var length = chunkArray[i].Length;
            chunkArray[i].Span.CopyTo(payload.AsSpan(offset));
            chunkArray[i] = new ReadOnlyMemory<byte>(payload, offset, length);
            offset += length;
        }

        KeyHash = keyHash;
        StatusCode = statusCode;
        Created = Normalize(created);
        FreshUntil = Normalize(freshUntil);
        StaleUntil = Normalize(staleUntil);
        ErrorUntil = Normalize(errorUntil);
        ETag = etag;
        IsStreamed = isStreamed;
        PayloadLength = payloadLength;
        _headers = headerArray;
        _chunks = chunkArray;
        _payload = payload;
        _isContiguous = true;
    }

    /// <summary>Creates an entry from values the serializer has already validated; takes ownership of the arrays.</summary>
    private CacheEntry(
        UInt128 keyHash,
        int statusCode,
        DateTimeOffset created,
        DateTimeOffset freshUntil,
        DateTimeOffset staleUntil,
        DateTimeOffset errorUntil,
        string? etag,
        KeyValuePair<string, string>[] headers,
        ReadOnlyMemory<byte>[] chunks,
        long payloadLength,
        bool isStreamed)
    {
        KeyHash = keyHash;
        StatusCode = statusCode;
        Created = created;
        FreshUntil = freshUntil;
        StaleUntil = staleUntil;
        ErrorUntil = errorUntil;
        ETag = etag;
        IsStreamed = isStreamed;
        PayloadLength = payloadLength;
        _headers = headers;
        _chunks = chunks;
        _isContiguous = TryJoin(chunks, out _payload);
    }

    /// <summary>The <see cref="Keys.CacheKey.Hash"/> the entry was stored under; a read compares it to detect a foreign entry.</summary>
    public UInt128 KeyHash { get; }

    /// <summary>The upstream status code (100 to 599).</summary>
    public int StatusCode { get; }

    /// <summary>When the entry was stored (UTC, millisecond precision).</summary>
    public DateTimeOffset Created { get; }

    /// <summary>The end of freshness: before it the entry is a <c>HIT</c>.</summary>
    public DateTimeOffset FreshUntil { get; }

    /// <summary>The end of the stale-while-revalidate window: before it the entry may be served while a refresh runs.</summary>
    public DateTimeOffset StaleUntil { get; }

    /// <summary>The end of the stale-if-error window: before it the entry may be served when the upstream fails.</summary>
    public DateTimeOffset ErrorUntil { get; }

    /// <summary>The moment after which no use of the entry remains, so a store may drop it: the later of <see cref="StaleUntil"/> and <see cref="ErrorUntil"/>.</summary>
    public DateTimeOffset StoreUntil => StaleUntil > ErrorUntil ? StaleUntil : ErrorUntil;

    /// <summary>The upstream entity tag, or <see langword="null"/>.</summary>
    public string? ETag { get; }

    /// <summary>The response headers the entry replays, in upstream order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers
        => _headerList ?? Wrap(ref _headerList, _headers);

    /// <summary>The payload in the framing the upstream produced; a response that was not streamed is one chunk.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Chunks
        => _chunkList ?? Wrap(ref _chunkList, _chunks);

    /// <summary>The chunks themselves, for the library's own readers (a hit replays them without the read-only wrapper); never written.</summary>
    internal ReadOnlySpan<ReadOnlyMemory<byte>> ChunkSpan => _chunks;

    /// <summary>
    /// The whole payload as one block of memory when its chunks lie end to end in one array (the chunk framing is kept by
    /// <see cref="ChunkSpan"/>; the bytes are the same); false when they do not (a payload sliced out of a v1 envelope).
    /// </summary>
    /// <param name="payload">The payload; never written.</param>
    /// <returns>Whether the payload is one block.</returns>
    internal bool TryGetPayload(out ReadOnlyMemory<byte> payload)
    {
        payload = _payload;
        return _isContiguous;
    }

    /// <summary>The payload length in bytes: the sum of the chunk lengths.</summary>
    public long PayloadLength { get; }

    /// <summary>Whether the upstream streamed the response, so a replay streams it back chunk by chunk.</summary>
    public bool IsStreamed { get; }

    /// <summary>Whether the entry is fresh at <paramref name="now"/> (before <see cref="FreshUntil"/>).</summary>
    /// <param name="now">The current time, from the injected <see cref="TimeProvider"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="now"/> is before <see cref="FreshUntil"/>.</returns>
    public bool IsFresh(DateTimeOffset now) => now < FreshUntil;

    /// <summary>Whether the entry may be served while a refresh runs at <paramref name="now"/> (before <see cref="StaleUntil"/>).</summary>
    /// <param name="now">The current time, from the injected <see cref="TimeProvider"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="now"/> is before <see cref="StaleUntil"/>.</returns>
    public bool IsUsableStale(DateTimeOffset now) => now < StaleUntil;

    /// <summary>Whether the entry may be served when the upstream fails at <paramref name="now"/> (before <see cref="ErrorUntil"/>).</summary>
    /// <param name="now">The current time, from the injected <see cref="TimeProvider"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="now"/> is before <see cref="ErrorUntil"/>.</returns>
    public bool IsUsableOnError(DateTimeOffset now) => now < ErrorUntil;

    /// <summary>How long ago the entry was stored; zero when <paramref name="now"/> is before <see cref="Created"/> (clock skew between nodes).</summary>
    /// <param name="now">The current time, from the injected <see cref="TimeProvider"/>.</param>
    /// <returns>The age, never negative.</returns>
    public TimeSpan Age(DateTimeOffset now) => now > Created ? now - Created : TimeSpan.Zero;

    /// <summary>How long the entry stays fresh after <paramref name="now"/>; negative once it is stale.</summary>
    /// <param name="now">The current time, from the injected <see cref="TimeProvider"/>.</param>
    /// <returns><see cref="FreshUntil"/> minus <paramref name="now"/>.</returns>
    public TimeSpan TimeToLive(DateTimeOffset now) => FreshUntil - now;

    /// <summary>Creates an entry from values the serializer has already validated; takes ownership of the arrays.</summary>
    internal static CacheEntry CreateValidated(
        UInt128 keyHash,
        int statusCode,
        DateTimeOffset created,
        DateTimeOffset freshUntil,
        DateTimeOffset staleUntil,
        DateTimeOffset errorUntil,
        string? etag,
        KeyValuePair<string, string>[] headers,
        ReadOnlyMemory<byte>[] chunks,
        long payloadLength,
        bool isStreamed)
        => new(keyHash, statusCode, created, freshUntil, staleUntil, errorUntil, etag, headers, chunks, payloadLength, isStreamed);

    /// <summary>
    /// The read-only view of one of the entry's arrays, built on first use: a hit that never lists the headers or the
    /// chunks (the body is read through <see cref="ChunkSpan"/>) does not allocate the wrapper. Racing callers get one
    /// and the same view.
    /// </summary>
    private static ReadOnlyCollection<T> Wrap<T>(ref ReadOnlyCollection<T>? field, T[] items)
    {
        var view = items.Length == 0 ? ReadOnlyCollection<T>.Empty : new ReadOnlyCollection<T>(items);
        return Interlocked.CompareExchange(ref field, view, null) ?? view;
    }

    /// <summary>The chunks as one block when each starts where the one before ended, in the same array.</summary>
    private static bool TryJoin(ReadOnlyMemory<byte>[] chunks, out ReadOnlyMemory<byte> payload)
    {
        payload = default;
        if (chunks.Length == 0)
        {
            return true;
        }

        if (!MemoryMarshal.TryGetArray(chunks[0], out var first) || first.Array is not { } array)
        {
            return false;
        }

        var end = first.Offset + first.Count;
        for (var i = 1; i < chunks.Length; i++)
        {
            if (!MemoryMarshal.TryGetArray(chunks[i], out var next) || next.Array != array || next.Offset != end)
            {
                return false;
            }

            end += next.Count;
        }

        payload = new ReadOnlyMemory<byte>(array, first.Offset, end - first.Offset);
        return true;
    }

    private static DateTimeOffset Normalize(DateTimeOffset value)
        => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    /// <summary>Checks one stored string and returns its UTF-8 length.</summary>
    private static int ValidateText(string text, string parameterName)
    {
        if (text.AsSpan().ContainsAny(s_forbiddenChars))
        {
            throw new ArgumentException("Header names, values and entity tags hold no CR, LF or NUL characters.", parameterName);
        }

        try
        {
            return s_strictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("Header names, values and entity tags are valid UTF-16 (no lone surrogates).", parameterName, ex);
        }
    }
}
