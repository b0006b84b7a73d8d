using System.Buffers.Binary;

namespace Okome.Caching.Stores;

/// <summary>
/// Identifies the stored bytes a caller saw: the envelope's trailing CRC-32 (or none). A lease request carries it
/// so the store can tell "someone stored a new entry since you looked" without shipping the entry again.
/// </summary>
internal readonly record struct EntryStamp(uint Value, bool Present)
{
    public static EntryStamp None => default;

    /// <summary>The stamp of serialized envelope bytes: their last four bytes.</summary>
    public static EntryStamp Of(ReadOnlySpan<byte> envelope)
        => envelope.Length >= 4 ? new EntryStamp(BinaryPrimitives.ReadUInt32LittleEndian(envelope[^4..]), true) : None;

    /// <summary>The stamp as the four bytes the Redis script compares (empty when none).</summary>
    public byte[] ToBytes()
    {
        if (!Present)
        {
            return [];
        }

        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Value);
        return bytes;
    }
}
