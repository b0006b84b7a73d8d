namespace Okome.Caching.Stores;

/// <summary>Bounds of the in-memory store, the embedded default.</summary>
public sealed class MemoryCacheStoreOptions
{
    /// <summary>The most entries kept; past it the least recently used go first.</summary>
    /// <value>Default 10 000.</value>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>The most payload bytes kept, summed over entries; past it the least recently used go first.</summary>
    /// <value>Default 256 MiB.</value>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    internal MemoryCacheStoreOptions Validated()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxEntries, 1, nameof(MaxEntries));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytes, 1, nameof(MaxBytes));
        return new MemoryCacheStoreOptions { MaxEntries = MaxEntries, MaxBytes = MaxBytes };
    }
}
