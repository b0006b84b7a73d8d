using Okome.Planner.Health;

namespace Okome.Planner.Execution;

/// <summary>
/// The hosts of one upstream pool and the calls each has in flight in this process. <see cref="Pick"/> spreads calls: the
/// healthy host not yet tried by this call with the fewest calls in flight, round robin among equals (the scan starts one
/// host further each time). Lock-free: counts are read and moved with <see cref="Interlocked"/>; a pick that races another
/// may choose the same host, which only makes the spread a little less even.
/// </summary>
internal sealed class HostPool
{
    /// <summary>At most this many hosts per pool (a try mask is one <see cref="ulong"/>).</summary>
    public const int MaxHosts = 64;

    private readonly int[] _inFlight;
    private int _next = -1;

    public HostPool(UpstreamHost[] hosts)
    {
        Hosts = hosts;
        _inFlight = new int[hosts.Length];
    }

    public UpstreamHost[] Hosts { get; }

    /// <summary>Calls in flight on host <paramref name="index"/> (for tests).</summary>
    public int InFlight(int index) => Volatile.Read(ref _inFlight[index]);

    /// <summary>The index of the host to try next, or -1 when every host is tried or down.</summary>
    /// <param name="tried">Bit i set: host i was tried by this call already.</param>
    /// <param name="health">The shared health; null when every host counts as up.</param>
    public int Pick(ulong tried, UpstreamHealthMonitor? health)
    {
        var count = Hosts.Length;
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
        var best = -1;
        var bestLoad = int.MaxValue;
        for (var i = 0; i < count; i++)
        {
            var index = start + i < count ? start + i : start + i - count;
            if ((tried & (1UL << index)) != 0 || health?.StatusOf(Hosts[index]) == UpstreamStatus.Down)
            {
                continue;
            }

            var load = Volatile.Read(ref _inFlight[index]);
            if (load < bestLoad)
            {
                best = index;
                bestLoad = load;
            }
        }

        return best;
    }

    public void Enter(int index) => Interlocked.Increment(ref _inFlight[index]);

    public void Leave(int index) => Interlocked.Decrement(ref _inFlight[index]);
}
