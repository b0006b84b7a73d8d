namespace Okome.Planner.Execution;

/// <summary>
/// Measures what an upstream response cost (for example generated tokens) from its body as it streams, so the budget is
/// settled with the real cost — also when the stream is cut off, in which case the cost so far is charged. One instance per
/// upstream call; chunks arrive in order, on one thread at a time.
/// </summary>
public abstract class ResponseCostMeter
{
    /// <summary>Observes the next chunk of the body, as the upstream produced it (chunks may split lines or events anywhere).</summary>
    /// <param name="chunk">The chunk.</param>
    public abstract void Observe(ReadOnlySpan<byte> chunk);

    /// <summary>The cost of what was observed so far.</summary>
    public abstract long Cost { get; }
}
