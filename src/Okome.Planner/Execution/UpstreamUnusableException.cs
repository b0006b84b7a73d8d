using Okome.Planner.Decisions;

namespace Okome.Planner.Execution;

/// <summary>
/// Thrown by the executor's upstream factory when the upstream turns out unusable during the call (marked down or in
/// maintenance after planning, no GPU slot in time), so the cache serves the stale entry where one may be served, and
/// the executor answers 503 otherwise. A plan that forbids the call never gets here (it asks
/// <c>ResponseCache.GetCachedAsync</c>). Never leaves the executor.
/// </summary>
internal sealed class UpstreamUnusableException : Exception
{
    public UpstreamUnusableException()
        : this(RefusalReason.Down)
    {
    }

    public UpstreamUnusableException(string message)
        : base(message)
    {
        Reason = RefusalReason.Down;
    }

    public UpstreamUnusableException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = RefusalReason.Down;
    }

    public UpstreamUnusableException(RefusalReason reason)
        : base($"The upstream may not be called now ({reason}).")
    {
        Reason = reason;
    }

    /// <summary>Why the upstream may not be called.</summary>
    public RefusalReason Reason { get; }
}
