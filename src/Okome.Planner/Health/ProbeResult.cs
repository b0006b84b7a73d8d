namespace Okome.Planner.Health;

/// <summary>The outcome of one health probe of an upstream.</summary>
internal enum ProbeResult
{
    /// <summary>The probe failed (error status, timeout, connection refused).</summary>
    Failure = 0,

    /// <summary>The probe succeeded.</summary>
    Success = 1,
}
