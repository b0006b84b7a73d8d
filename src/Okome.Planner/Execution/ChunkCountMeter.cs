namespace Okome.Planner.Execution;

/// <summary>The default cost meter: one cost unit per non-empty body chunk.</summary>
internal sealed class ChunkCountMeter : ResponseCostMeter
{
    private long _chunks;

    public override long Cost => _chunks;

    public override void Observe(ReadOnlySpan<byte> chunk)
    {
        if (!chunk.IsEmpty)
        {
            _chunks++;
        }
    }
}
