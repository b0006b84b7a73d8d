using Okome.Caching.Entries;

namespace Okome.Caching.Stores;

/// <summary>The outcome of one read: an entry, or a miss with the reason the bytes were not usable.</summary>
internal readonly record struct StoreRead(CacheEntry? Entry, EntryReadStatus Status, EntryStamp Stamp)
{
    /// <summary>No entry under the key.</summary>
    public static StoreRead Miss => new(null, EntryReadStatus.Empty, EntryStamp.None);

    /// <summary>Whether bytes were there but could not be read (foreign, corrupt, other key).</summary>
    public bool IsCorrupt => Entry is null && Status is not EntryReadStatus.Empty;
}
