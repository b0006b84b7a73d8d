using Okome.Caching.Streaming;

namespace Okome.Caching.Stores;

/// <summary>How a followed stream ended.</summary>
internal enum LiveStreamEnd
{
    /// <summary>The leader completed it: every chunk was delivered.</summary>
    Completed,

    /// <summary>The leader failed, vanished, or the store failed: followers fail like local readers of a cut-off stream.</summary>
    Failed,

    /// <summary>Every local reader left.</summary>
    Abandoned,
}

/// <summary>A caller's side of another node's stream in flight.</summary>
internal abstract class LiveStreamFollower
{
    /// <summary>The response head the leader mirrored.</summary>
    public abstract ResponseHead Head { get; }

    /// <summary>Copies the chunks into <paramref name="capture"/> as they arrive until the stream ends; never throws.</summary>
    public abstract Task<LiveStreamEnd> PumpAsync(StreamCapture capture, CancellationToken cancellationToken);
}
