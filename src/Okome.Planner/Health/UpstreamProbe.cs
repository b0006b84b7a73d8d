namespace Okome.Planner.Health;

/// <summary>
/// Checks one upstream host once, for <see cref="UpstreamHealthMonitor.RunAsync"/>: for example a <c>GET /v1/models</c> that
/// must answer 200. Every host of every configured pool is probed each round. Returning <see langword="false"/>, throwing, or taking longer than
/// <see cref="UpstreamHealthOptions.ProbeTimeout"/> all count as a failed probe.
/// </summary>
/// <param name="host">The host to check (its pool, position and label).</param>
/// <param name="cancellationToken">Cancelled when the probe times out or the loop stops.</param>
/// <returns>Whether the upstream is healthy.</returns>
public delegate ValueTask<bool> UpstreamProbe(UpstreamHost host, CancellationToken cancellationToken);
