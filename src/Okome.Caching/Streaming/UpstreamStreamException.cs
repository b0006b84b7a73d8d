namespace Okome.Caching.Streaming;

/// <summary>
/// The upstream stream a caller was reading (its own or one it joined) failed or was cut off after its first bytes
/// went out. Nothing was stored; the next request calls the upstream again under the lease rules.
/// </summary>
public sealed class UpstreamStreamException : IOException
{
    /// <summary>Creates the exception.</summary>
    public UpstreamStreamException()
        : base("The upstream stream failed or was cut off; nothing was stored.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public UpstreamStreamException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public UpstreamStreamException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
