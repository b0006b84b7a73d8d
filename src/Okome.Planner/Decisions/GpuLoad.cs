namespace Okome.Planner.Decisions;

/// <summary>
/// How busy the GPU is: requests in flight against its capacity. A capacity of zero means no cap is known, and the GPU
/// is never saturated. The default value is an idle GPU without a cap.
/// </summary>
internal readonly record struct GpuLoad
{
    /// <summary>Creates a load figure.</summary>
    /// <param name="inFlight">Requests in flight on the GPU; not negative.</param>
    /// <param name="capacity">How many requests it serves at once; zero when unknown; not negative.</param>
    public GpuLoad(int inFlight, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inFlight);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        InFlight = inFlight;
        Capacity = capacity;
    }

    /// <summary>Requests in flight on the GPU.</summary>
    public int InFlight { get; }

    /// <summary>How many requests the GPU serves at once; zero when unknown.</summary>
    public int Capacity { get; }

    /// <summary>Whether every slot is taken: a capacity is known and the in-flight count reached it.</summary>
    public bool IsSaturated => Capacity > 0 && InFlight >= Capacity;
}
