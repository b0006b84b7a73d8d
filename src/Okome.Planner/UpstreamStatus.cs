namespace Okome.Planner;

/// <summary>
/// The health of one upstream as the planner sees it. <see cref="Unknown"/> (no verdict yet) is treated by the planner as
/// "not known to be down": it may be called. Resolve it first with <see cref="Health.UpstreamHealth.EffectiveStatus"/> when
/// an unknown upstream must be treated as down.
/// </summary>
public enum UpstreamStatus
{
    /// <summary>No verdict yet: fewer consecutive probe results than either threshold.</summary>
    Unknown = 0,

    /// <summary>Up: the rise threshold of consecutive successful probes was reached.</summary>
    Up = 1,

    /// <summary>Down: the fall threshold of consecutive failed probes was reached. The planner never calls it.</summary>
    Down = 2,
}
