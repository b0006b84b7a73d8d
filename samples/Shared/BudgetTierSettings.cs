namespace Okome.Samples;

/// <summary>
/// The limits of one named tier (<c>Okome:Budget:Tiers:{name}:*</c>): the default tier's keys, each off when not set (a
/// tier must set at least one). The service enforces all of them; the gateway its rate and concurrency at the edge.
/// </summary>
public sealed class BudgetTierSettings
{
    /// <summary>Requests per minute in the long run; unset or 0 turns the rate limit off.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Requests allowed at once after a quiet spell.</summary>
    /// <value>Default (unset): <see cref="RequestsPerMinute"/>.</value>
    public int? Burst { get; set; }

    /// <summary>Tokens per UTC calendar day; unset or 0 turns the quota off (enforced by the service only: it alone reads the usage).</summary>
    public long? TokensPerDay { get; set; }

    /// <summary>Requests in flight at once; unset or 0 turns the cap off.</summary>
    public int? MaxConcurrent { get; set; }
}
