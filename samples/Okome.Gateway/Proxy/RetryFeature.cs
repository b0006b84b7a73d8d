namespace Okome.Gateway.Proxy;

/// <summary>
/// One request's next-destination state, shared by <see cref="NextDestinationRetry"/> and the response transform: whether a
/// 502/503/504 answer may still be replaced by the next instance's, and whether the last forward's answer was held back for it.
/// </summary>
internal sealed class RetryFeature
{
    /// <summary>Whether another instance remains to be tried after the current forward.</summary>
    public bool CanRetry { get; set; }

    /// <summary>The retryable status whose body was suppressed, or 0.</summary>
    public int SuppressedStatus { get; set; }
}
