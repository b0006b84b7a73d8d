namespace Okome.Caching.Freshness;

/// <summary>
/// How long the entries of one namespace stay fresh, how long they may be served stale, and which upstream and
/// request directives are honoured. A <see cref="FreshnessCalculator"/> validates and copies the policy when it is
/// constructed.
/// </summary>
public sealed class FreshnessPolicy
{
    /// <summary>How long a response stays fresh when the upstream gives no <c>max-age</c> or <c>s-maxage</c>.</summary>
    /// <value>Default: 5 minutes. Must be positive.</value>
    public TimeSpan FreshFor { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long after it goes stale an entry may still be served while one refresh runs in the background
    /// (<c>UPDATING</c>), unless the upstream's <c>stale-while-revalidate</c> says otherwise.
    /// </summary>
    /// <value>Default: 1 minute. Must not be negative.</value>
    public TimeSpan StaleWhileRevalidate { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long after it goes stale an entry may still be served when the upstream fails (<c>STALE</c>), unless the
    /// upstream's <c>stale-if-error</c> says otherwise.
    /// </summary>
    /// <value>Default: 10 minutes. Must not be negative.</value>
    public TimeSpan StaleIfError { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The largest fraction by which the fresh lifetime of each entry is shortened at random, so that entries stored
    /// together do not all expire together. Jitter only ever shortens a lifetime.
    /// </summary>
    /// <value>Default: 0.1. Between 0 and 1.</value>
    public double Jitter { get; set; } = 0.1;

    /// <summary>The shortest fresh lifetime, applied after jitter, including to the upstream's <c>max-age</c>.</summary>
    /// <value>Default: 1 second. Must not be negative nor exceed <see cref="MaxFreshFor"/>.</value>
    public TimeSpan MinFreshFor { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest fresh lifetime, including when the upstream's <c>max-age</c> asks for more.</summary>
    /// <value>Default: 1 day. Must be positive.</value>
    public TimeSpan MaxFreshFor { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Whether the upstream's <c>Cache-Control</c> (<c>no-store</c>, <c>no-cache</c>, <c>private</c>, <c>max-age</c>,
    /// <c>s-maxage</c>, <c>stale-while-revalidate</c>, <c>stale-if-error</c>, <c>must-revalidate</c>) is honoured
    /// (RFC 9111) or ignored, the policy alone then deciding (nginx's <c>proxy_ignore_headers Cache-Control</c>). The
    /// client's request directives are honoured in both modes, and so is the rule on <c>Authorization</c> and
    /// <c>Set-Cookie</c> (<see cref="ShareAuthorizedResponses"/>).
    /// </summary>
    /// <value>Default: <see cref="Freshness.UpstreamCacheControl.Honor"/>.</value>
    public UpstreamCacheControl UpstreamCacheControl { get; set; } = UpstreamCacheControl.Honor;

    /// <summary>
    /// Whether responses to requests carrying <c>Authorization</c>, and responses carrying <c>Set-Cookie</c>, may be
    /// shared between tenants. When <see langword="false"/>, such responses are stored only when the key isolates
    /// tenants.
    /// </summary>
    /// <value>Default: <see langword="false"/>.</value>
    public bool ShareAuthorizedResponses { get; set; }

    /// <summary>
    /// Whether non-deterministic requests (sampling without a seed) are cached. When <see langword="false"/> they
    /// are answered from the upstream with status <c>BYPASS</c>.
    /// </summary>
    /// <value>Default: <see langword="false"/>.</value>
    public bool CacheNonDeterministic { get; set; }

    /// <summary>
    /// The XFetch β of probabilistic early refresh: a fresh entry is refreshed early with a probability that grows as
    /// its expiry nears and with the time its value took to compute. 0 turns early refresh off; 1 is the usual value.
    /// </summary>
    /// <value>Default: 0 (off). Must be finite and not negative.</value>
    public double EarlyRefreshBeta { get; set; }

    /// <summary>A copy for the calculator, so later changes to this instance do not reach it (validate first: <see cref="FreshnessPolicyValidator"/>).</summary>
    internal FreshnessPolicy Copy() => (FreshnessPolicy)MemberwiseClone();
}
