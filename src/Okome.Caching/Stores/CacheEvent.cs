namespace Okome.Caching.Stores;

/// <summary>Something that happened to an entry or a namespace, on this node or another.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Hash">The entry's key hash (entry events).</param>
/// <param name="Namespace">The namespace (namespace events).</param>
/// <param name="FromThisNode">Whether this process caused it.</param>
/// <param name="Envelope">
/// The stored entry's serialized bytes, when a <see cref="CacheEventKind.Committed"/> event carries them (a small entry
/// committed on Redis): waiters take the entry from the event instead of reading it. Empty otherwise.
/// </param>
internal readonly record struct CacheEvent(CacheEventKind Kind, UInt128 Hash, string? Namespace, bool FromThisNode, ReadOnlyMemory<byte> Envelope = default);

/// <summary>The kinds of <see cref="CacheEvent"/>; the byte values are on the wire between nodes.</summary>
internal enum CacheEventKind : byte
{
    /// <summary>A lease holder stored a new entry and released the lease (on Redis, a small entry travels with it).</summary>
    Committed = 1,

    /// <summary>A lease holder gave up without storing (its factory failed).</summary>
    Released = 2,

    /// <summary>An entry was written or removed outside a lease.</summary>
    Changed = 3,

    /// <summary>A namespace's version was bumped: all its entries are gone.</summary>
    NamespaceBumped = 4,

    /// <summary>A lease holder began streaming a response that followers on other nodes can read live.</summary>
    StreamStarted = 6,

    /// <summary>This node reconnected to the shared store and may have missed events: drop what was learned from them. Never sent between nodes.</summary>
    Reset = 5,
}
