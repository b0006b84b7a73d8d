namespace Okome.Caching.Streaming;

/// <summary>What became of an upstream stream that every reader left before its end (the <c>okome.cache.stream.abandoned</c> tag).</summary>
internal enum AbandonedStreamOutcome
{
    /// <summary>The upstream ended within the drain and the response was stored.</summary>
    Stored,

    /// <summary>The upstream ended within the drain but nothing was stored (it failed, or the lease was lost).</summary>
    NotStored,

    /// <summary>The drain ran out (or is off): the upstream call was cancelled and nothing was stored.</summary>
    Cancelled,
}
