using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Planner.Diagnostics;
using Okome.Shared;
using StackExchange.Redis;

namespace Okome.Planner.Health;

/// <summary>
/// The health of the stable and canary upstream pools, host by host, and the maintenance switch, shared through a store so
/// every node agrees. Reads (<see cref="StatusOf(UpstreamChoice)"/>, <see cref="StatusOf(UpstreamHost)"/>,
/// <see cref="IsInMaintenance"/>) are local and do no I/O; <see cref="RunAsync"/> keeps the local view current and probes
/// every host, once per <see cref="UpstreamHealthOptions.ProbeInterval"/> across all
/// nodes: each interval is a numbered round, and the one node that claims the round in the store probes and applies the
/// rise/fall rule atomically in the store; the others only read. When the store fails the node keeps its last view (an
/// upstream is never marked down because the store is) and tries again at the next round.
/// </summary>
public sealed class UpstreamHealthMonitor : IAsyncDisposable
{
    private readonly IHealthStateStore _store;
    private readonly UpstreamHealthOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PlannerMetrics _metrics;
    private readonly bool _ownsMetrics;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _gate = new();
    private readonly UpstreamHost[] _stable;
    private readonly UpstreamHost[] _canary;
    private HealthSnapshot _view = HealthSnapshot.Empty;
    private bool _storeDown;

    internal UpstreamHealthMonitor(IHealthStateStore store, UpstreamHealthOptions options, TimeProvider timeProvider, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        _store = store;
        _options = options;
        _time = timeProvider;
        _logger = loggerFactory?.CreateLogger<UpstreamHealthMonitor>() ?? NullLogger<UpstreamHealthMonitor>.Instance;
        _metrics = new PlannerMetrics(meterFactory);
        _stable = UpstreamPools.Build(UpstreamChoice.Stable, options.StableHosts);
        _canary = options.HasCanary ? UpstreamPools.Build(UpstreamChoice.Canary, options.CanaryHosts) : [];

        // A meter from a factory belongs to the factory; only a meter this monitor made is disposed with it.
        _ownsMetrics = meterFactory is null;
        if (store is GuardedHealthStateStore guarded)
        {
            _metrics.ObserveBreaker(guarded.Breaker);
        }

        _metrics.ObserveHealth(() => _stable.Concat(_canary).Select(host => (host, StatusOf(host))));
    }

    /// <summary>Whether the canary pool is configured (the executor's <c>PlanExecutorOptions.Canary</c>); <see cref="HostsOf"/> of the canary is empty when not.</summary>
    internal bool HasCanary => _options.HasCanary;

    /// <summary>Whether the last store operation succeeded (false during a store outage, while the last view is kept).</summary>
    public bool IsStoreAvailable
    {
        get
        {
            lock (_gate)
            {
                return !_storeDown;
            }
        }
    }

    /// <summary>The hosts of a pool, in configured order (none for a canary that is not configured).</summary>
    /// <param name="pool">The pool.</param>
    /// <returns>Its hosts.</returns>
    public IReadOnlyList<UpstreamHost> HostsOf(UpstreamChoice pool) => pool == UpstreamChoice.Canary ? _canary : _stable;

    /// <summary>Whether maintenance is on, as last agreed (no I/O).</summary>
    public bool IsInMaintenance => Volatile.Read(ref _view).Maintenance;

    /// <summary>The kind of the shared health state's store (<c>redis</c>, <c>memory</c>).</summary>
    internal string StoreKind => _store.Kind;

    /// <summary>The breaker over the shared health state's store; null for the in-memory store, which cannot fail.</summary>
    internal Okome.Shared.StoreBreaker? StoreBreaker => (_store as GuardedHealthStateStore)?.Breaker;

    /// <summary>Called after each round of <see cref="RunAsync"/> with the round number (tests wait on it).</summary>
    internal Action<long>? RoundCompleted { get; set; }

    /// <summary>Creates a monitor whose state lives in this process only.</summary>
    /// <param name="options">Thresholds and probe settings; validated and copied.</param>
    /// <param name="timeProvider">The clock for the probe loop.</param>
    /// <returns>The monitor.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is invalid; it lists every error.</exception>
    internal static UpstreamHealthMonitor CreateInMemory(UpstreamHealthOptions options, TimeProvider timeProvider)
        => CreateInMemory(options, timeProvider, null, null);

    /// <summary>Creates a monitor whose state lives in this process only.</summary>
    /// <param name="options">Thresholds and probe settings; validated and copied.</param>
    /// <param name="timeProvider">The clock for the probe loop.</param>
    /// <param name="loggerFactory">Logs transitions and failures; none when null.</param>
    /// <param name="meterFactory">Creates the <c>Okome.Planner</c> meter; a private meter when null.</param>
    /// <returns>The monitor.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is invalid; it lists every error.</exception>
    internal static UpstreamHealthMonitor CreateInMemory(UpstreamHealthOptions options, TimeProvider timeProvider, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        OptionsValidation.ThrowIfInvalid(UpstreamHealthOptionsValidator.Instance, options);
        return new UpstreamHealthMonitor(new InMemoryHealthStateStore(), options.Copy(), timeProvider, loggerFactory, meterFactory);
    }

    /// <summary>
    /// Creates a monitor whose state lives in Redis under <see cref="UpstreamHealthOptions.KeyPrefix"/>, shared by every
    /// node that uses the same prefix. The connection is not owned: disposing the monitor does not close it.
    /// </summary>
    /// <param name="redis">The connection.</param>
    /// <param name="options">Thresholds and probe settings; validated and copied. Every node must use the same.</param>
    /// <param name="timeProvider">The clock for the probe loop.</param>
    /// <param name="loggerFactory">Logs transitions and store outages; none when null.</param>
    /// <param name="meterFactory">Creates the <c>Okome.Planner</c> meter; a private meter when null.</param>
    /// <returns>The monitor.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is invalid; it lists every error.</exception>
    public static UpstreamHealthMonitor CreateRedis(IConnectionMultiplexer redis, UpstreamHealthOptions options, TimeProvider timeProvider, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        OptionsValidation.ThrowIfInvalid(UpstreamHealthOptionsValidator.Instance, options);
        var validated = options.Copy();
        var store = new GuardedHealthStateStore(new RedisHealthStateStore(redis, validated.KeyPrefix), redis, validated.ProbeTimeout, timeProvider);
        return new UpstreamHealthMonitor(store, validated, timeProvider, loggerFactory, meterFactory);
    }

    /// <summary>
    /// The probe-driven health of a pool as last agreed (no I/O; maintenance is <see cref="IsInMaintenance"/>, not applied
    /// here): <see cref="UpstreamStatus.Up"/> while at least one of its hosts is up, <see cref="UpstreamStatus.Down"/> when
    /// every host is down, else <see cref="UpstreamStatus.Unknown"/> (also for a canary that is not configured). Each host
    /// reads as <see cref="StatusOf(UpstreamHost)"/>.
    /// </summary>
    /// <param name="upstream">The pool.</param>
    /// <returns>Its status.</returns>
    public UpstreamStatus StatusOf(UpstreamChoice upstream)
    {
        var hosts = upstream == UpstreamChoice.Canary ? _canary : _stable;
        if (hosts.Length == 0)
        {
            return UpstreamStatus.Unknown;
        }

        var view = Volatile.Read(ref _view);
        var pool = UpstreamStatus.Down;
        foreach (var host in hosts)
        {
            var status = Effective(view.Of(host.Name).Status);
            if (status == UpstreamStatus.Up)
            {
                return UpstreamStatus.Up;
            }

            if (status == UpstreamStatus.Unknown)
            {
                pool = UpstreamStatus.Unknown;
            }
        }

        return pool;
    }

    /// <summary>
    /// The probe-driven health of one host as last agreed (no I/O). <see cref="UpstreamStatus.Unknown"/> until a threshold
    /// is reached, or for a host this monitor does not know; when <see cref="UpstreamHealthOptions.TreatUnknownAsUp"/> is
    /// off, a known host with no verdict reads <see cref="UpstreamStatus.Down"/>.
    /// </summary>
    /// <param name="host">The host.</param>
    /// <returns>Its status.</returns>
    public UpstreamStatus StatusOf(UpstreamHost host)
    {
        if (!Knows(host))
        {
            return UpstreamStatus.Unknown;
        }

        return Effective(Volatile.Read(ref _view).Of(host.Name).Status);
    }

    /// <summary>
    /// Switches maintenance on or off in the store: this node sees it at once, the others at their next refresh.
    /// </summary>
    /// <param name="on">Whether maintenance is on.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the store holds the switch.</returns>
    /// <exception cref="RedisException">The store failed; nothing changed.</exception>
    public async ValueTask SetMaintenanceAsync(bool on, CancellationToken cancellationToken)
    {
        HealthSnapshot state;
        try
        {
            state = await _store.SetMaintenanceAsync(on, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            StoreFailed(ex);
            throw;
        }

        StoreAnswered();
        Apply(state);
    }

    /// <summary>
    /// Applies one probe result to the shared rise/fall counters of every host of the pool (atomically in the store, one
    /// write per host) and refreshes this node's view. Every call counts: call it from the one prober of a round (as
    /// <see cref="RunAsync"/> does), not from every node, or the thresholds are reached N times faster.
    /// </summary>
    /// <param name="upstream">The pool probed.</param>
    /// <param name="result">The result.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the store holds the result.</returns>
    /// <exception cref="RedisException">The store failed; the result was not counted.</exception>
    internal async ValueTask RecordProbeAsync(UpstreamChoice upstream, ProbeResult result, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(upstream))
        {
            throw new ArgumentOutOfRangeException(nameof(upstream), upstream, "Unknown upstream.");
        }

        if (!Enum.IsDefined(result))
        {
            throw new ArgumentOutOfRangeException(nameof(result), result, "Unknown probe result.");
        }

        foreach (var host in HostsOf(upstream))
        {
            await RecordProbeAsync(host, result, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Applies one result to a host's shared rise/fall counters (atomically in the store) and refreshes this node's view:
    /// a probe's result, or a failed call (the executor counts every failed try of a host here, as a failed probe, so a
    /// host that refuses or fails calls goes down after <see cref="UpstreamHealthOptions.Fall"/> of them). A probe result
    /// counts once cluster-wide only when one node records it (as <see cref="RunAsync"/> does).
    /// </summary>
    /// <param name="host">The host (one of <see cref="HostsOf"/>).</param>
    /// <param name="result">The result.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the store holds the result.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is not a host of this monitor.</exception>
    /// <exception cref="RedisException">The store failed; the result was not counted.</exception>
    internal async ValueTask RecordProbeAsync(UpstreamHost host, ProbeResult result, CancellationToken cancellationToken)
    {
        if (!Knows(host))
        {
            throw new ArgumentException($"'{host.Name}' is not a host of this monitor (UpstreamHealthOptions.StableHosts / CanaryHosts).", nameof(host));
        }

        if (!Enum.IsDefined(result))
        {
            throw new ArgumentOutOfRangeException(nameof(result), result, "Unknown probe result.");
        }

        HealthSnapshot state;
        try
        {
            state = await _store.RecordAsync(host.Name, result, _options.Rise, _options.Fall, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            StoreFailed(ex);
            throw;
        }

        StoreAnswered();
        Apply(state);
    }

    /// <summary>
    /// Reads the shared state into this node's view. A store failure does not throw: the last view is kept, the outage is
    /// logged once and <see cref="IsStoreAvailable"/> turns false. When the store lost its state (a Redis restart without
    /// persistence), this node writes its last view back, so maintenance and verdicts survive.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the view is current (or the store failed).</returns>
    public async ValueTask RefreshAsync(CancellationToken cancellationToken)
    {
        HealthSnapshot state;
        try
        {
            state = await _store.ReadAsync(cancellationToken).ConfigureAwait(false);
            var known = Volatile.Read(ref _view);
            if (!state.Exists && known.HasInformation)
            {
                state = await _store.SeedAsync(known, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            StoreFailed(ex);
            return;
        }

        StoreAnswered();
        Apply(state);
    }

    /// <summary>
    /// The probe loop: every <see cref="UpstreamHealthOptions.ProbeInterval"/> (rounds aligned to the clock, so all nodes
    /// share round numbers) it refreshes the view and, if this node claims the round, probes each configured upstream
    /// (at most <see cref="UpstreamHealthOptions.ProbeTimeout"/> each; a throw or a timeout is a failure) and records the
    /// results. It never stops on errors; it ends when <paramref name="cancellationToken"/> is cancelled or the monitor is
    /// disposed. Start it once per node (a hosted service does).
    /// </summary>
    /// <param name="probe">Checks one upstream.</param>
    /// <param name="cancellationToken">Stops the loop.</param>
    /// <returns>A task that completes when the loop stops.</returns>
    internal async Task RunAsync(UpstreamProbe probe, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(probe);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        var token = linked.Token;
        while (!token.IsCancellationRequested)
        {
            var round = RoundAt(_time.GetUtcNow());
            try
            {
                await RunRoundAsync(probe, round, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // The loop must survive anything a round throws; it is logged and retried next round.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.ProbeRoundFailed(_logger, ex);
            }

            RoundCompleted?.Invoke(round);
            var wait = RoundStart(round + 1) - _time.GetUtcNow();
            try
            {
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>Stops any <see cref="RunAsync"/> loop of this monitor. The store's connection is not closed.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        if (!_disposing.IsCancellationRequested)
        {
            _disposing.Cancel();
            (_store as IDisposable)?.Dispose();
            if (_ownsMetrics)
            {
                _metrics.Dispose();
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The round a moment belongs to: rounds start at multiples of the interval since the Unix epoch. A tenth of an interval
    /// of tolerance lets a timer that fires a little early still count as the round it was meant for.
    /// </summary>
    internal long RoundAt(DateTimeOffset now)
    {
        var interval = (long)_options.ProbeInterval.TotalMilliseconds;
        return (now.ToUnixTimeMilliseconds() + (interval / 10)) / interval;
    }

    private DateTimeOffset RoundStart(long round)
        => DateTimeOffset.FromUnixTimeMilliseconds(round * (long)_options.ProbeInterval.TotalMilliseconds);

    private async Task RunRoundAsync(UpstreamProbe probe, long round, CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        if (!IsStoreAvailable)
        {
            // The refresh found the store away (or skipped by its breaker). Claiming and recording now could write to a
            // store that came back empty before this node seeded its last view into it: wait for the next round.
            return;
        }

        bool won;
        try
        {
            // The lease only has to outlive the clock skew between nodes; it holds nothing but the last round number.
            won = await _store.TryClaimProbeRoundAsync(round, _options.ProbeInterval * 10, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            // Without the store a probe result could not be shared; the view stays as it was.
            StoreFailed(ex);
            return;
        }

        StoreAnswered();
        if (!won)
        {
            return;
        }

        // Every host of both pools at once: a round takes one probe timeout at most, however many hosts.
        var hosts = _stable.Concat(_canary).ToArray();
        var probes = new Task<ProbeResult>[hosts.Length];
        for (var i = 0; i < hosts.Length; i++)
        {
            probes[i] = ProbeOnceAsync(probe, hosts[i], cancellationToken);
        }

        for (var i = 0; i < hosts.Length; i++)
        {
            await RecordQuietlyAsync(hosts[i], await probes[i].ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ProbeResult> ProbeOnceAsync(UpstreamProbe probe, UpstreamHost host, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.ProbeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            // WaitAsync bounds a probe that ignores its token, too.
            var healthy = await probe(host, linked.Token).AsTask().WaitAsync(_options.ProbeTimeout, _time, cancellationToken).ConfigureAwait(false);
            return healthy ? ProbeResult.Success : ProbeResult.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Whatever the probe throws is a failed probe.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.ProbeFailed(_logger, host.Name, ex);
            return ProbeResult.Failure;
        }
    }

    private async Task RecordQuietlyAsync(UpstreamHost host, ProbeResult result, CancellationToken cancellationToken)
    {
        try
        {
            await RecordProbeAsync(host, result, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            // Already logged (once per outage) by RecordProbeAsync; the next round tries again.
        }
    }

    private static bool IsStoreFailure(Exception ex, CancellationToken cancellationToken)
        => !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private void StoreFailed(Exception ex)
    {
        lock (_gate)
        {
            if (_storeDown)
            {
                return;
            }

            _storeDown = true;
        }

        Log.HealthStoreUnavailable(_logger, _store.Kind, ex);
    }

    private void StoreAnswered()
    {
        lock (_gate)
        {
            if (!_storeDown)
            {
                return;
            }

            _storeDown = false;
        }

        Log.HealthStoreRecovered(_logger, _store.Kind);
    }

    /// <summary>Takes a read into the view unless it is older than the view; reports each change once.</summary>
    private void Apply(HealthSnapshot state)
    {
        HealthSnapshot previous;
        lock (_gate)
        {
            previous = _view;
            if (!previous.IsSupersededBy(state))
            {
                return;
            }

            Volatile.Write(ref _view, state);
        }

        foreach (var host in _stable)
        {
            Report(host, previous.Of(host.Name).Status, state.Of(host.Name).Status);
        }

        foreach (var host in _canary)
        {
            Report(host, previous.Of(host.Name).Status, state.Of(host.Name).Status);
        }

        if (previous.Maintenance != state.Maintenance)
        {
            Log.MaintenanceSwitched(_logger, state.Maintenance ? "on" : "off");
        }
    }

    private void Report(UpstreamHost host, UpstreamStatus previous, UpstreamStatus current)
    {
        if (previous == current)
        {
            return;
        }

        _metrics.HealthTransition(host, current);

        // A good transition (→ up, also unknown → up at start-up) is news, not a problem; a bad one is worth a warning.
        // (StatusName returns constant strings: nothing is built for a disabled level.)
        var from = PlannerMetrics.StatusName(previous);
        var to = PlannerMetrics.StatusName(current);
        if (current == UpstreamStatus.Up)
        {
            Log.HealthBetter(_logger, host.Name, from, to);
        }
        else
        {
            Log.HealthWorse(_logger, host.Name, from, to);
        }
    }

    private UpstreamStatus Effective(UpstreamStatus status)
        => status == UpstreamStatus.Unknown && !_options.TreatUnknownAsUp ? UpstreamStatus.Down : status;

    private bool Knows(UpstreamHost host)
    {
        var hosts = host.Pool == UpstreamChoice.Canary ? _canary : _stable;
        return (uint)host.Index < (uint)hosts.Length && hosts[host.Index] == host;
    }
}
