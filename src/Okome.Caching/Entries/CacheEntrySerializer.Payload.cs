using System.Buffers;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace Okome.Caching.Entries;

/// <summary>The chunk section of each format version: how the payload is laid out, compressed and read back.</summary>
internal static partial class CacheEntrySerializer
{
    /// <summary>
    /// Payloads shorter than this stay plain in version 2: the bytes saved are few, and a plain payload is read
    /// without a copy (the chunks slice the buffer Redis returned).
    /// </summary>
    public const int CompressionThreshold = 1024;

    /// <summary>
    /// A reader accepts a compressed payload only if it is at most this many times its compressed size (or at most
    /// <see cref="MaxUncheckedInflation"/>), so a crafted value cannot make a reader allocate far more than it received.
    /// A writer whose payload compresses better than that stores it plain.
    /// </summary>
    public const int MaxCompressionRatio = 1024;

    /// <summary>A compressed payload up to this size is accepted whatever its ratio: allocating it is harmless.</summary>
    public const int MaxUncheckedInflation = 1024 * 1024;

    // Quality 1 compresses an OpenAI-style stream about as well as quality 5 (the envelope that repeats in every chunk
    // is what there is to remove) at a fraction of the cost, and decodes fastest (measured: docs/benchmarks.md).
    private const int BrotliQuality = 1;
    private const int BrotliWindow = 22;

    /// <summary>Whether <paramref name="payloadLength"/> bytes may come out of <paramref name="compressedLength"/> compressed bytes.</summary>
    internal static bool IsPlausibleInflation(long payloadLength, int compressedLength)
        => payloadLength <= MaxUncheckedInflation || payloadLength <= (long)compressedLength * MaxCompressionRatio;

    /// <summary>The version the <see cref="WriteVersion1Switch"/> asks for; read once, into <see cref="WriteVersion"/>.</summary>
    internal static byte ReadWriteVersion()
        => AppContext.TryGetSwitch(WriteVersion1Switch, out var writeVersion1) && writeVersion1 ? Version1 : CurrentVersion;

    private static long ChunkSectionLength(CacheEntry entry, byte version, in EncodedPayload payload)
    {
        var chunks = entry.ChunkSpan;
        long length = VarIntLength(chunks.Length);
        for (var i = 0; i < chunks.Length; i++)
        {
            length += VarIntLength(chunks[i].Length);
        }

        return length + (version == Version2 && payload.IsCompressed ? payload.Length : entry.PayloadLength);
    }

    private static int WriteChunkSection(CacheEntry entry, byte version, in EncodedPayload payload, Span<byte> destination)
    {
        var chunks = entry.ChunkSpan;
        var position = WriteVarInt(destination, chunks.Length);
        if (version == Version1)
        {
            // Version 1: each chunk's length, then its bytes.
            for (var i = 0; i < chunks.Length; i++)
            {
                var chunk = chunks[i].Span;
                position += WriteVarInt(destination[position..], chunk.Length);
                chunk.CopyTo(destination[position..]);
                position += chunk.Length;
            }

            return position;
        }

        // Version 2: every length, then all the bytes as one block, plain or compressed.
        for (var i = 0; i < chunks.Length; i++)
        {
            position += WriteVarInt(destination[position..], chunks[i].Length);
        }

        if (payload.IsCompressed)
        {
            payload.Bytes.CopyTo(destination[position..]);
            return position + payload.Length;
        }

        for (var i = 0; i < chunks.Length; i++)
        {
            var chunk = chunks[i].Span;
            chunk.CopyTo(destination[position..]);
            position += chunk.Length;
        }

        return position;
    }

    /// <summary>Version 1: a chunk count, then per chunk a length and the bytes.</summary>
    private static EntryReadStatus TryReadChunksV1(
        ReadOnlySpan<byte> body, ReadOnlyMemory<byte> memory, int position, bool copyPayload, out ReadOnlyMemory<byte>[] chunks, out long payloadLength)
    {
        chunks = [];
        payloadLength = 0;

        // Each chunk is at least a one-byte length prefix.
        if (!TryReadVarInt(body, ref position, out var chunkCount)
            || chunkCount > CacheEntry.MaxChunkCount
            || chunkCount > body.Length - position)
        {
            return EntryReadStatus.Invalid;
        }

        // First pass: validate the chunk lengths and sum them, allocating nothing.
        var chunksStart = position;
        for (var i = 0; i < chunkCount; i++)
        {
            if (!TryReadVarInt(body, ref position, out var length) || length > body.Length - position)
            {
                return EntryReadStatus.Invalid;
            }

            position += length;
            payloadLength += length;
        }

        if (position != body.Length || payloadLength > CacheEntry.MaxPayloadLength)
        {
            return EntryReadStatus.Invalid;
        }

        // Second pass: slice the caller's buffer, or copy the whole payload into one array.
        chunks = chunkCount == 0 ? [] : new ReadOnlyMemory<byte>[chunkCount];
        byte[]? payload = copyPayload ? (payloadLength == 0 ? [] : new byte[payloadLength]) : null;
        var payloadOffset = 0;
        position = chunksStart;
        for (var i = 0; i < chunks.Length; i++)
        {
            TryReadVarInt(body, ref position, out var length);
            if (payload is null)
            {
                chunks[i] = memory.Slice(position, length);
            }
            else
            {
                body.Slice(position, length).CopyTo(payload.AsSpan(payloadOffset));
                chunks[i] = new ReadOnlyMemory<byte>(payload, payloadOffset, length);
                payloadOffset += length;
            }

            position += length;
        }

        return EntryReadStatus.Ok;
    }

    /// <summary>Version 2: a chunk count, every chunk length, then the payload block (plain, or one Brotli stream).</summary>
    private static EntryReadStatus TryReadChunksV2(
        ReadOnlySpan<byte> body,
        ReadOnlyMemory<byte> memory,
        int position,
        bool copyPayload,
        bool compressed,
        out ReadOnlyMemory<byte>[] chunks,
        out long payloadLength)
    {
        chunks = [];
        payloadLength = 0;

        // Each chunk is at least a one-byte length prefix.
        if (!TryReadVarInt(body, ref position, out var chunkCount)
            || chunkCount > CacheEntry.MaxChunkCount
            || chunkCount > body.Length - position)
        {
            return EntryReadStatus.Invalid;
        }

        // First pass: validate the lengths and sum them, allocating nothing.
        var lengthsStart = position;
        for (var i = 0; i < chunkCount; i++)
        {
            if (!TryReadVarInt(body, ref position, out var length))
            {
                return EntryReadStatus.Invalid;
            }

            payloadLength += length;
            if (payloadLength > CacheEntry.MaxPayloadLength)
            {
                return EntryReadStatus.Invalid;
            }
        }

        var block = body[position..];
        var blockStart = position;
        if (compressed
            ? payloadLength == 0 || block.IsEmpty || !IsPlausibleInflation(payloadLength, block.Length)
            : block.Length != payloadLength)
        {
            return EntryReadStatus.Invalid;
        }

        // The payload: slices of the caller's buffer, or one array of exactly the declared length (a copy, or the
        // decompressed stream, which must fill it exactly and end with the block).
        ReadOnlyMemory<byte> payload;
        if (compressed)
        {
            var decompressed = new byte[payloadLength];
            if (!TryDecompress(block, decompressed))
            {
                return EntryReadStatus.Invalid;
            }

            payload = decompressed;
        }
        else if (copyPayload)
        {
            payload = block.ToArray();
        }
        else
        {
            payload = memory.Slice(blockStart, block.Length);
        }

        chunks = chunkCount == 0 ? [] : new ReadOnlyMemory<byte>[chunkCount];
        var offset = 0;
        position = lengthsStart;
        for (var i = 0; i < chunks.Length; i++)
        {
            TryReadVarInt(body, ref position, out var length);
            chunks[i] = payload.Slice(offset, length);
            offset += length;
        }

        return EntryReadStatus.Ok;
    }

    /// <summary>
    /// Decompresses one whole Brotli stream into exactly <paramref name="destination"/>: a stream that is corrupt, ends
    /// early, would write more (inflation past the declared length) or is followed by other bytes is rejected.
    /// </summary>
    private static bool TryDecompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        using var decoder = new BrotliDecoder();
        var status = decoder.Decompress(source, destination, out var consumed, out var written);
        return status == OperationStatus.Done && consumed == source.Length && written == destination.Length;
    }

    /// <summary>
    /// The payload as a version 2 writer stores it: compressed into a pooled buffer when the payload is long enough and
    /// compression saves at least an eighth (less is not worth a decompression on every hit), otherwise plain.
    /// </summary>
    private struct EncodedPayload : IDisposable
    {
        private byte[]? _rented;

        public readonly bool IsCompressed => _rented is not null;

        public int Length { get; private set; }

        public readonly ReadOnlySpan<byte> Bytes => _rented.AsSpan(0, Length);

        public static EncodedPayload Create(CacheEntry entry, byte version)
        {
            var result = default(EncodedPayload);
            if (version != Version2 || entry.PayloadLength < CompressionThreshold)
            {
                return result;
            }

            var payloadLength = (int)entry.PayloadLength;
            byte[]? gathered = null;
            if (!TryGetContiguous(entry.ChunkSpan, out var source))
            {
                gathered = ArrayPool<byte>.Shared.Rent(payloadLength);
                var offset = 0;
                foreach (var chunk in entry.ChunkSpan)
                {
                    chunk.Span.CopyTo(gathered.AsSpan(offset));
                    offset += chunk.Length;
                }

                source = gathered.AsSpan(0, payloadLength);
            }

            // A destination of the largest size worth storing: the encoder fails when the stream does not fit.
            var worthIt = payloadLength - (payloadLength / 8);
            var rented = ArrayPool<byte>.Shared.Rent(worthIt);
            var compressed = BrotliEncoder.TryCompress(source, rented.AsSpan(0, worthIt), out var written, BrotliQuality, BrotliWindow)
                && written > 0
                && IsPlausibleInflation(payloadLength, written);
            if (gathered is not null)
            {
                ArrayPool<byte>.Shared.Return(gathered);
            }

            if (!compressed)
            {
                ArrayPool<byte>.Shared.Return(rented);
                return result;
            }

            result._rented = rented;
            result.Length = written;
            return result;
        }

        public void Dispose()
        {
            if (_rented is { } rented)
            {
                _rented = null;
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        /// <summary>Whether the chunks lie back to back in one array (as every constructed entry's do), so they compress without a gather copy.</summary>
        private static bool TryGetContiguous(ReadOnlySpan<ReadOnlyMemory<byte>> chunks, out ReadOnlySpan<byte> payload)
        {
            payload = default;
            if (chunks.IsEmpty || !MemoryMarshal.TryGetArray(chunks[0], out var first) || first.Array is null)
            {
                return false;
            }

            var end = first.Offset + first.Count;
            for (var i = 1; i < chunks.Length; i++)
            {
                if (!MemoryMarshal.TryGetArray(chunks[i], out var next) || next.Array != first.Array || next.Offset != end)
                {
                    return false;
                }

                end += next.Count;
            }

            payload = first.Array.AsSpan(first.Offset, end - first.Offset);
            return true;
        }
    }
}
