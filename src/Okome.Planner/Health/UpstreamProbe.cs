namespace Okome.Planner.Health;

/// <summary>
/// Checks one upstream once, for <see cref="UpstreamHealthMonitor.RunAsync"/>: for example a <c>GET /v1/models</c> that
/// must answer 200. Returning <see langword="false"/>, throwing, or taking longer than
/// <see cref="UpstreamHealthOptions.ProbeTimeout"/> all count as a failed probe.
/// </summary>
/// <param name="upstream">The upstream to check.</param>
/// <param name="cancellationToken">Cancelled when the probe times out or the loop stops.</param>
/// <returns>Whether the upstream is healthy.</returns>
public delegate ValueTask<bool> UpstreamProbe(UpstreamChoice upstream, CancellationToken cancellationToken);
