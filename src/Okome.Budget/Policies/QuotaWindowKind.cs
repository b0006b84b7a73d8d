namespace Okome.Budget.Policies;

/// <summary>How a quota's window moves through time.</summary>
public enum QuotaWindowKind
{
    /// <summary>
    /// Calendar windows aligned to the Unix epoch in UTC: a one-day window is a UTC day, a one-hour window a clock hour.
    /// The count starts at zero at each window boundary.
    /// </summary>
    Calendar = 0,

    /// <summary>
    /// A rolling window, approximated with two buckets: the previous bucket's count is weighted by the part of it that
    /// still lies inside the window. Exact when usage is even across a bucket, never off by more than one bucket's count.
    /// </summary>
    Rolling = 1,
}
