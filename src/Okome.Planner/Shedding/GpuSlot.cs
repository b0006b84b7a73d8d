namespace Okome.Planner.Shedding;

/// <summary>
/// A slot taken from <see cref="GpuSlots"/> (or the answer that none was free in time). Disposing an acquired slot frees
/// it exactly once, however often and from whichever threads it is disposed; disposing one not acquired does nothing.
/// </summary>
internal sealed class GpuSlot : IDisposable
{
    /// <summary>The answer "no slot in time", shared because it holds nothing.</summary>
    internal static readonly GpuSlot NotAcquired = new(null);

    private GpuSlots? _owner;

    internal GpuSlot(GpuSlots? owner)
    {
        _owner = owner;
        IsAcquired = owner is not null;
    }

    /// <summary>Whether a slot was taken; false when the request was shed (no slot was freed within its wait).</summary>
    public bool IsAcquired { get; }

    /// <summary>Frees the slot (idempotent): it goes straight to the best waiter, or back to the pool.</summary>
    public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release();
}
