namespace Okome.Caching.Stores;

/// <summary>The lease holder's side of a mirrored stream. Writes are pipelined and not awaited: a failed mirror costs followers their live view, never the leader its response.</summary>
internal abstract class LiveStreamWriter
{
    /// <summary>Mirrors one chunk.</summary>
    public abstract void Append(ReadOnlySpan<byte> chunk);

    /// <summary>Marks the stream complete (after the entry was committed, so a follower that asks again finds it).</summary>
    public abstract void Complete();

    /// <summary>Marks the stream cut off: followers fail as local readers do.</summary>
    public abstract void Fail();
}
