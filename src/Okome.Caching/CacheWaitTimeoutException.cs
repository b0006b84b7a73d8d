namespace Okome.Caching;

/// <summary>Another caller's upstream call took longer than the wait budget, and the policy is <see cref="WaitTimeoutBehavior.Fail"/>.</summary>
public sealed class CacheWaitTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public CacheWaitTimeoutException()
        : base("Another caller's upstream call for this key did not finish within the cache's wait timeout.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CacheWaitTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CacheWaitTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
