namespace Okome.Caching.Freshness;

/// <summary>Whether a response may be stored and, when it may, the lifetime of the entry.</summary>
internal readonly struct StorageDecision
{
    internal StorageDecision(StorageRefusal refusal, EntryLifetime lifetime)
    {
        Refusal = refusal;
        Lifetime = lifetime;
    }

    /// <summary>Whether the response may be stored.</summary>
    public bool IsStorable => Refusal == StorageRefusal.None;

    /// <summary>Why it may not be stored; <see cref="StorageRefusal.None"/> when it may.</summary>
    public StorageRefusal Refusal { get; }

    /// <summary>The lifetime of the entry; the default value when the response may not be stored.</summary>
    public EntryLifetime Lifetime { get; }
}
