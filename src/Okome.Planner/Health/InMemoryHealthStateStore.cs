namespace Okome.Planner.Health;

/// <summary>The health state of one process (or of several monitors sharing this instance, as the tests do).</summary>
internal sealed class InMemoryHealthStateStore : IHealthStateStore
{
    private readonly Lock _gate = new();
    private HealthSnapshot _state = HealthSnapshot.Empty;
    private long _lastRound = long.MinValue;

    public string Kind => "memory";

    public ValueTask<HealthSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            return ValueTask.FromResult(_state);
        }
    }

    public ValueTask<HealthSnapshot> SeedAsync(HealthSnapshot known, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (!_state.Exists)
            {
                _state = known with { Epoch = HealthSnapshot.NewEpoch(), Version = 1 };
            }

            return ValueTask.FromResult(_state);
        }
    }

    public ValueTask<HealthSnapshot> RecordAsync(string host, ProbeResult result, int rise, int fall, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var state = Started();
            _state = state.With(host, state.Of(host).Apply(result, rise, fall)) with { Version = state.Version + 1 };
            return ValueTask.FromResult(_state);
        }
    }

    public ValueTask<HealthSnapshot> SetMaintenanceAsync(bool on, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var state = Started();
            _state = state with { Maintenance = on, Version = state.Version + 1 };
            return ValueTask.FromResult(_state);
        }
    }

    public ValueTask<bool> TryClaimProbeRoundAsync(long round, TimeSpan keep, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (round <= _lastRound)
            {
                return ValueTask.FromResult(false);
            }

            _lastRound = round;
            return ValueTask.FromResult(true);
        }
    }

    private HealthSnapshot Started() => _state.Exists ? _state : _state with { Epoch = HealthSnapshot.NewEpoch() };
}
