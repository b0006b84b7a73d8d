namespace Okome.Planner.Health;

/// <summary>
/// Thresholds of an <see cref="UpstreamHealth"/>, as in nginx/keepalived checks, and the probe loop and shared state of an
/// <see cref="UpstreamHealthMonitor"/>. Both validate them when they are built and keep a private copy.
/// </summary>
public sealed class UpstreamHealthOptions
{
    /// <summary>Consecutive successful probes that mark a not-up upstream up.</summary>
    /// <value>Default 2. From 1 to 1000.</value>
    public int Rise { get; set; } = 2;

    /// <summary>Consecutive failed probes that mark a not-down upstream down.</summary>
    /// <value>Default 3. From 1 to 1000.</value>
    public int Fall { get; set; } = 3;

    /// <summary>
    /// Whether an upstream with no verdict yet (<see cref="UpstreamStatus.Unknown"/>) counts as up
    /// (<see cref="UpstreamHealth.EffectiveStatus"/>). Up lets traffic flow at start-up; down waits for proof.
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool TreatUnknownAsUp { get; set; } = true;

    /// <summary>How often the probe loop (<see cref="UpstreamHealthMonitor.RunAsync"/>) refreshes the shared state and, on
    /// the one node elected for that interval, probes each upstream.</summary>
    /// <value>Default 5 seconds. From 100 milliseconds to 1 hour.</value>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one probe may take; a probe that takes longer (or throws) counts as a failure.</summary>
    /// <value>Default 2 seconds. Positive and not longer than <see cref="ProbeInterval"/>.</value>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether a canary pool is configured. Without one the canary is never probed and
    /// <see cref="UpstreamHealthMonitor.StatusOf(UpstreamChoice)"/> reads <see cref="UpstreamStatus.Unknown"/> for it. Not an
    /// option: <c>AddOkomePlanner</c> sets it from the executor's options (<c>PlanExecutorOptions.Canary</c>), so the monitor
    /// watches exactly the pools the executor routes to.
    /// </summary>
    internal bool HasCanary { get; set; }

    /// <summary>
    /// The labels of the stable pool's hosts, each probed and tracked on its own; the pool is up while one host is. Not an
    /// option: <c>AddOkomePlanner</c> copies <c>PlanExecutorOptions.StableHosts</c>, so the two lists cannot differ. Empty:
    /// one unnamed host, whose state keeps the layout of a single upstream (<c>stable:status</c>).
    /// </summary>
    internal IList<string> StableHosts { get; set; } = [];

    /// <summary>The labels of the canary pool's hosts (used when <see cref="HasCanary"/>), copied from <c>PlanExecutorOptions.CanaryHosts</c>.</summary>
    internal IList<string> CanaryHosts { get; set; } = [];

    /// <summary>
    /// The prefix of the Redis keys of the shared health state (<c>&lt;prefix&gt;:{state}</c> and
    /// <c>&lt;prefix&gt;:{state}:probe</c>). Every node of one service must use the same prefix and the same thresholds.
    /// </summary>
    /// <value>Default <c>okome:health</c>. 1 to 100 printable characters, no spaces or braces.</value>
    public string KeyPrefix { get; set; } = "okome:health";

    /// <summary>A copy for the monitor, so later changes to this instance do not reach it (validate first: <see cref="UpstreamHealthOptionsValidator"/>).</summary>
    internal UpstreamHealthOptions Copy()
    {
        var copy = (UpstreamHealthOptions)MemberwiseClone();
        copy.StableHosts = [.. StableHosts];
        copy.CanaryHosts = [.. CanaryHosts];
        return copy;
    }
}
