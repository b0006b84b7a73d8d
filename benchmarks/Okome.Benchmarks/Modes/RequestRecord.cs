namespace Okome.Benchmarks.Modes;

/// <summary>One request of the <c>service-faults</c> load: when it started (ms since the run began), how long it took to its last byte, and what came back.</summary>
/// <param name="StartedMs">When it was sent, in milliseconds since the run began.</param>
/// <param name="LatencyMs">From sending to the last byte of the stream (or the failure).</param>
/// <param name="Status">The HTTP status, or 0 when the connection dropped or the request timed out.</param>
/// <param name="Cache">The <c>X-OKOME-Cache</c> value, or null.</param>
/// <param name="StoreUnavailable">Whether <c>Cache-Status</c> said <c>detail=store-unavailable</c>.</param>
/// <param name="Complete">Whether the stream ended with <c>data: [DONE]</c>.</param>
internal readonly record struct RequestRecord(double StartedMs, double LatencyMs, int Status, string? Cache, bool StoreUnavailable, bool Complete)
{
    /// <summary>A connection that dropped, a request that timed out, or a 2xx stream cut before <c>[DONE]</c>.</summary>
    public bool Dropped => Status == 0 || (Status is >= 200 and < 300 && !Complete);
}
