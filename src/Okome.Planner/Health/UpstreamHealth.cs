using System.Diagnostics;

namespace Okome.Planner.Health;

/// <summary>
/// The health state machine of one upstream: it starts <see cref="UpstreamStatus.Unknown"/>, goes up after
/// <see cref="UpstreamHealthOptions.Rise"/> consecutive successful probes and down after
/// <see cref="UpstreamHealthOptions.Fall"/> consecutive failed ones; a result that does not complete a run keeps the status,
/// so a flapping upstream does not flap the status. A manual maintenance switch overrides it: while on,
/// <see cref="EffectiveStatus"/> is down, and probes keep counting so the right status shows when it is switched off.
/// Pure (no I/O, no clock) and thread-safe; the probe loop and sharing the state through the store are separate.
/// </summary>
internal sealed class UpstreamHealth
{
    private readonly Lock _gate = new();
    private readonly int _rise;
    private readonly int _fall;
    private readonly bool _unknownIsUp;
    private UpstreamStatus _status;
    private bool _maintenance;
    private int _successes;
    private int _failures;

    /// <summary>Creates a state machine with the default thresholds.</summary>
    public UpstreamHealth()
        : this(new UpstreamHealthOptions())
    {
    }

    /// <summary>Creates a state machine.</summary>
    /// <param name="options">The thresholds, already checked by <see cref="UpstreamHealthOptionsValidator"/> (the monitor's
    /// factories and dependency injection run it); read once, so later changes do not reach the machine.</param>
    public UpstreamHealth(UpstreamHealthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Debug.Assert(!UpstreamHealthOptionsValidator.Instance.Validate(null, options).Failed, "Options are validated before a state machine is built.");
        _rise = options.Rise;
        _fall = options.Fall;
        _unknownIsUp = options.TreatUnknownAsUp;
    }

    /// <summary>The probe-driven status (maintenance not applied).</summary>
    public UpstreamStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>Whether the manual maintenance switch is on.</summary>
    public bool IsInMaintenance
    {
        get
        {
            lock (_gate)
            {
                return _maintenance;
            }
        }
    }

    /// <summary>
    /// The status to act on: <see cref="UpstreamStatus.Down"/> in maintenance; otherwise the probe-driven status with
    /// <see cref="UpstreamStatus.Unknown"/> resolved by <see cref="UpstreamHealthOptions.TreatUnknownAsUp"/>. Never unknown.
    /// </summary>
    public UpstreamStatus EffectiveStatus
    {
        get
        {
            lock (_gate)
            {
                return _maintenance ? UpstreamStatus.Down
                    : _status == UpstreamStatus.Unknown ? (_unknownIsUp ? UpstreamStatus.Up : UpstreamStatus.Down)
                    : _status;
            }
        }
    }

    /// <summary>Records one probe result.</summary>
    /// <param name="result">The result.</param>
    /// <returns>The transition; its <see cref="HealthTransition.Current"/> is the new status.</returns>
    public HealthTransition Record(ProbeResult result)
    {
        if (!Enum.IsDefined(result))
        {
            throw new ArgumentOutOfRangeException(nameof(result), result, "Unknown probe result.");
        }

        lock (_gate)
        {
            var previous = _status;
            if (result == ProbeResult.Success)
            {
                _failures = 0;
                _successes = Math.Min(_successes + 1, UpstreamHealthOptionsValidator.MaxThreshold);
                if (_successes >= _rise)
                {
                    _status = UpstreamStatus.Up;
                }
            }
            else
            {
                _successes = 0;
                _failures = Math.Min(_failures + 1, UpstreamHealthOptionsValidator.MaxThreshold);
                if (_failures >= _fall)
                {
                    _status = UpstreamStatus.Down;
                }
            }

            return new HealthTransition(previous, _status, _maintenance, _maintenance);
        }
    }

    /// <summary>Switches maintenance on or off. Probe counting is not affected.</summary>
    /// <param name="on">Whether maintenance is on.</param>
    /// <returns>The transition.</returns>
    public HealthTransition SetMaintenance(bool on)
    {
        lock (_gate)
        {
            var was = _maintenance;
            _maintenance = on;
            return new HealthTransition(_status, _status, was, on);
        }
    }
}
