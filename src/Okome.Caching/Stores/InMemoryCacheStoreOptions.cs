using System.ComponentModel.DataAnnotations;

namespace Okome.Caching.Stores;

/// <summary>Bounds of the in-memory store, the embedded default. Validated when the store is built; it keeps a copy.</summary>
public sealed class InMemoryCacheStoreOptions
{
    /// <summary>The most entries kept; past it the least recently used go first.</summary>
    /// <value>Default 10 000. At least 1.</value>
    [Range(1, int.MaxValue)]
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>The most payload bytes kept, summed over entries; past it the least recently used go first.</summary>
    /// <value>Default 256 MiB. At least 1.</value>
#pragma warning disable IL2026 // Read by the generated InMemoryCacheStoreOptionsValidator, which checks the range with its own trim-safe copy of the attribute.
    [Range(typeof(long), "1", "9223372036854775807")]
#pragma warning restore IL2026
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>A copy, so later changes to this instance do not reach a running store (validate first: <see cref="InMemoryCacheStoreOptionsValidator"/>).</summary>
    internal InMemoryCacheStoreOptions Copy() => new() { MaxEntries = MaxEntries, MaxBytes = MaxBytes };
}
