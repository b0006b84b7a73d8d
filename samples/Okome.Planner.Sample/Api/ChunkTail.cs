using System.Runtime.CompilerServices;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// The last chunks of a replayed body, at least <see cref="TailBytes"/> of them when the body has that many (and at most
/// <see cref="MaxChunks"/> chunks): where a stored completion's usage event is, since the service asks for
/// <c>stream_options.include_usage</c> and the usage comes last. Reading only these instead of every chunk keeps the
/// access line's usage off the replay's cost. Holds the chunks, never copies them: a replay's chunks are the stored
/// entry's and stay valid until the response is disposed. A mutable struct, so the copy loop keeps it in its own state
/// instead of allocating it on every hit.
/// </summary>
internal struct ChunkTail
{
    /// <summary>The bytes kept: far more than a usage event (a few hundred bytes).</summary>
    internal const int TailBytes = 8 * 1024;

    /// <summary>The chunks kept at most; a usage event split into more chunks than this is not found.</summary>
    internal const int MaxChunks = 16;

    private Chunks _chunks;
    private int _first;
    private int _count;
    private long _bytes;

    /// <summary>Keeps <paramref name="chunk"/> and drops the oldest ones no longer needed.</summary>
    public void Add(ReadOnlyMemory<byte> chunk)
    {
        if (_count == MaxChunks)
        {
            Drop();
        }

        _chunks[(_first + _count) % MaxChunks] = chunk;
        _count++;
        _bytes += chunk.Length;
        while (_count > 1 && _bytes - _chunks[_first].Length >= TailBytes)
        {
            Drop();
        }
    }

    /// <summary>Feeds the kept chunks, oldest first, to <paramref name="usage"/> (a first partial line is skipped by it).</summary>
    public readonly void ObserveInto(ChatUsageReader usage)
    {
        for (var i = 0; i < _count; i++)
        {
            usage.Observe(_chunks[(_first + i) % MaxChunks].Span);
        }
    }

    private void Drop()
    {
        _bytes -= _chunks[_first].Length;
        _chunks[_first] = default;
        _first = (_first + 1) % MaxChunks;
        _count--;
    }

    [InlineArray(MaxChunks)]
    private struct Chunks
    {
        private ReadOnlyMemory<byte> _element;
    }
}
