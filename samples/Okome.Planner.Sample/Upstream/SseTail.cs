namespace Okome.Planner.Sample.Upstream;

/// <summary>
/// Remembers the last bytes of an event stream, to tell a complete OpenAI stream (its last event is <c>data: [DONE]</c>)
/// from one the upstream cut off. Chunks may split the marker anywhere.
/// </summary>
internal sealed class SseTail
{
    private const int Size = 32;
    private readonly byte[] _tail = new byte[Size];
    private int _length;

    /// <summary>Whether the bytes seen so far end with <c>[DONE]</c> followed only by whitespace.</summary>
    public bool EndsWithDone
    {
        get
        {
            var span = _tail.AsSpan(0, _length).TrimEnd(" \r\n\t"u8);
            return span.EndsWith("[DONE]"u8);
        }
    }

    /// <summary>Observes the next chunk.</summary>
    public void Observe(ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length >= Size)
        {
            chunk[^Size..].CopyTo(_tail);
            _length = Size;
            return;
        }

        var keep = Math.Min(_length, Size - chunk.Length);
        _tail.AsSpan(_length - keep, keep).CopyTo(_tail);
        chunk.CopyTo(_tail.AsSpan(keep));
        _length = keep + chunk.Length;
    }
}
