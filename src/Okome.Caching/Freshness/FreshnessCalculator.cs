using Okome.Caching.Status;
using Okome.Shared;

namespace Okome.Caching.Freshness;

/// <summary>
/// Applies a <see cref="FreshnessPolicy"/>: decides whether a response may be stored and for how long, what to do
/// with a request given its directives and the entry found, and whether to refresh a hot entry early. Time comes
/// from the <see cref="TimeProvider"/> given. Thread-safe when its <see cref="Random"/> is (the default,
/// <see cref="Random.Shared"/>, is).
/// </summary>
/// <remarks>
/// As a shared cache it prefers <c>s-maxage</c> to <c>max-age</c>. The fresh lifetime is
/// <c>clamp(base × (1 − Jitter × r), MinFreshFor, MaxFreshFor)</c> with <c>r</c> uniform in [0, 1) and
/// <c>base</c> the upstream's <c>s-maxage</c>, else its <c>max-age</c>, else <see cref="FreshnessPolicy.FreshFor"/>.
/// The upstream's <c>stale-while-revalidate</c> and <c>stale-if-error</c> replace the policy windows, and
/// <c>must-revalidate</c> closes both.
/// </remarks>
internal sealed class FreshnessCalculator
{
    private readonly FreshnessPolicy _policy;
    private readonly TimeProvider _timeProvider;
    private readonly Random _random;

    /// <summary>Creates a calculator with a validated copy of <paramref name="policy"/> and <see cref="Random.Shared"/> for jitter.</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The policy has invalid settings (all are listed).</exception>
    public FreshnessCalculator(FreshnessPolicy policy, TimeProvider timeProvider)
        : this(policy, timeProvider, Random.Shared)
    {
    }

    /// <summary>Creates a calculator with a validated copy of <paramref name="policy"/>.</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="random">The source of jitter and early-refresh draws; must be thread-safe if the calculator is shared.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The policy has invalid settings (all are listed).</exception>
    public FreshnessCalculator(FreshnessPolicy policy, TimeProvider timeProvider, Random random)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(random);
        OptionsValidation.ThrowIfInvalid(FreshnessPolicyValidator.Instance, policy);
        _policy = policy.Copy();
        _timeProvider = timeProvider;
        _random = random;
    }

    /// <summary>Whether non-deterministic requests are cached (<see cref="FreshnessPolicy.CacheNonDeterministic"/>).</summary>
    public bool CacheNonDeterministic => _policy.CacheNonDeterministic;

    /// <summary>Decides whether a response may be stored now and computes the lifetime of its entry.</summary>
    /// <param name="facts">The response and request facts.</param>
    /// <returns>The decision.</returns>
    public StorageDecision DecideStorage(in ResponseFacts facts)
    {
        var response = _policy.UpstreamCacheControl == UpstreamCacheControl.Honor ? facts.ResponseCacheControl : CacheControl.None;
        var refusal = Refuse(response, facts);
        if (refusal != StorageRefusal.None)
        {
            return new StorageDecision(refusal, default);
        }

        var now = _timeProvider.GetUtcNow();
        var baseFresh = response.SharedMaxAge ?? response.MaxAge ?? _policy.FreshFor;
        var jittered = TimeSpan.FromTicks((long)(baseFresh.Ticks * (1 - (_policy.Jitter * _random.NextDouble()))));
        var fresh = Clamp(jittered, _policy.MinFreshFor, _policy.MaxFreshFor);
        var staleWhileRevalidate = response.MustRevalidate ? TimeSpan.Zero : response.StaleWhileRevalidate ?? _policy.StaleWhileRevalidate;
        var staleIfError = response.MustRevalidate ? TimeSpan.Zero : response.StaleIfError ?? _policy.StaleIfError;
        var freshUntil = now + fresh;
        return new StorageDecision(StorageRefusal.None, new EntryLifetime(now, freshUntil, freshUntil + staleWhileRevalidate, freshUntil + staleIfError));
    }

    /// <summary>
    /// Decides what to do with a request as <see cref="DecideRequest(CacheControl, EntryLifetime?)"/> does, after first
    /// sending a non-deterministic request (see <see cref="Keys.CacheKeyBuilder.IsDeterministic(ReadOnlySpan{byte})"/>)
    /// past the cache with <see cref="CacheAction.Bypass"/> (<c>BYPASS</c>) unless
    /// <see cref="FreshnessPolicy.CacheNonDeterministic"/> is set.
    /// </summary>
    /// <param name="request">The request's <c>Cache-Control</c>.</param>
    /// <param name="entry">The lifetime of the entry found, or <see langword="null"/>.</param>
    /// <param name="isDeterministic">Whether the request asks for a reproducible answer.</param>
    /// <returns>The decision.</returns>
    public RequestDecision DecideRequest(CacheControl request, EntryLifetime? entry, bool isDeterministic)
        => isDeterministic || _policy.CacheNonDeterministic
            ? DecideRequest(request, entry)
            : new RequestDecision(CacheAction.Bypass, CacheStatus.Bypass, canServeStaleOnError: false);

    /// <summary>
    /// Decides what to do with a request, given its <c>Cache-Control</c> and the lifetime of the entry found
    /// (<see langword="null"/> when there is none), at the current time:
    /// <list type="bullet">
    /// <item><c>no-store</c> → <see cref="CacheAction.Bypass"/> (<c>BYPASS</c>).</item>
    /// <item>No entry → <see cref="CacheAction.Fetch"/> (<c>MISS</c>).</item>
    /// <item><c>no-cache</c> → <see cref="CacheAction.Fetch"/> (<c>EXPIRED</c>), no stale fallback.</item>
    /// <item>Fresh, and old enough for the request's <c>max-age</c> and fresh enough for its <c>min-fresh</c> →
    /// <see cref="CacheAction.UseFresh"/> (<c>HIT</c>); a fresh entry that fails those → <see cref="CacheAction.Fetch"/> (<c>EXPIRED</c>).</item>
    /// <item>Stale within the stale-while-revalidate window, or within the request's <c>max-stale</c> →
    /// <see cref="CacheAction.ServeStaleAndRefresh"/> (<c>UPDATING</c>), unless the request's <c>max-age</c> is exceeded.</item>
    /// <item>Otherwise <see cref="CacheAction.Fetch"/> (<c>EXPIRED</c>), with a stale fallback while in the stale-if-error window.</item>
    /// <item><c>only-if-cached</c> turns every <see cref="CacheAction.Fetch"/> into <see cref="CacheAction.GatewayTimeout"/>.</item>
    /// </list>
    /// </summary>
    /// <param name="request">The request's <c>Cache-Control</c>.</param>
    /// <param name="entry">The lifetime of the entry found, or <see langword="null"/>.</param>
    /// <returns>The decision.</returns>
    public RequestDecision DecideRequest(CacheControl request, EntryLifetime? entry)
        => DecideRequestAt(request, entry, _timeProvider.GetUtcNow());

    /// <summary>Whether early refresh (XFetch) is on, so a hit path can skip its bookkeeping when it is not.</summary>
    internal bool EarlyRefreshEnabled => _policy.EarlyRefreshBeta > 0;

    /// <summary><see cref="DecideRequest(CacheControl, EntryLifetime?)"/> at a time the caller already read (the hit path reads the clock once).</summary>
    internal static RequestDecision DecideRequestAt(in CacheControl request, EntryLifetime? entry, DateTimeOffset now)
    {
        if (request.NoStore)
        {
            return new RequestDecision(CacheAction.Bypass, CacheStatus.Bypass, canServeStaleOnError: false);
        }

        if (entry is not { } lifetime)
        {
            return Fetch(request, CacheStatus.Miss, canServeStaleOnError: false);
        }

        if (request.NoCache)
        {
            return Fetch(request, CacheStatus.Expired, canServeStaleOnError: false);
        }

        var age = lifetime.GetAge(now);
        var tooOld = request.MaxAge is { } maxAge && age > maxAge;
        var errorFallback = now < lifetime.ErrorUntil;
        if (lifetime.IsFresh(now))
        {
            var freshEnough = request.MinFresh is not { } minFresh || lifetime.FreshUntil - now >= minFresh;
            return freshEnough && !tooOld
                ? new RequestDecision(CacheAction.UseFresh, CacheStatus.Hit, canServeStaleOnError: false)
                : Fetch(request, CacheStatus.Expired, errorFallback);
        }

        var staleness = now - lifetime.FreshUntil;
        var acceptedStale = now < lifetime.StaleUntil || (request.MaxStale is { } maxStale && staleness <= maxStale);
        return acceptedStale && !tooOld && request.MinFresh is null
            ? new RequestDecision(CacheAction.ServeStaleAndRefresh, CacheStatus.Updating, canServeStaleOnError: false)
            : Fetch(request, CacheStatus.Expired, errorFallback);
    }

    /// <summary>
    /// Whether to refresh a fresh entry early (XFetch, with the policy's <see cref="FreshnessPolicy.EarlyRefreshBeta"/>
    /// and a draw from the calculator's <see cref="Random"/>). Always <see langword="false"/> when β is 0.
    /// </summary>
    /// <param name="lifetime">The entry's lifetime.</param>
    /// <param name="recomputeTime">How long the upstream took to produce the entry.</param>
    /// <returns>Whether to start a refresh now.</returns>
    public bool ShouldRefreshEarly(in EntryLifetime lifetime, TimeSpan recomputeTime)
        => _policy.EarlyRefreshBeta > 0
            && ShouldRefreshEarly(_timeProvider.GetUtcNow(), lifetime.FreshUntil, recomputeTime, _policy.EarlyRefreshBeta, 1 - _random.NextDouble());

    /// <summary>
    /// XFetch (Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede Prevention", VLDB 2015):
    /// refresh early when <c>now − δ·β·ln(r) ≥ expiry</c>, where δ is the recompute time and r is uniform in (0, 1].
    /// Pure: the random draw is a parameter.
    /// </summary>
    /// <param name="now">The current time.</param>
    /// <param name="freshUntil">The entry's expiry.</param>
    /// <param name="recomputeTime">δ: how long the value takes to compute; not negative.</param>
    /// <param name="beta">β: 1 is the usual value, larger refreshes earlier, 0 never refreshes early; not negative.</param>
    /// <param name="random01">r in [0, 1]; 0 counts as the smallest positive draw (refresh now).</param>
    /// <returns>Whether to refresh now.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range or not a number.</exception>
    public static bool ShouldRefreshEarly(DateTimeOffset now, DateTimeOffset freshUntil, TimeSpan recomputeTime, double beta, double random01)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(recomputeTime, TimeSpan.Zero);
        if (!double.IsFinite(beta) || beta < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "Beta must be finite and not negative.");
        }

        if (!(random01 is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(random01), random01, "The draw must be between 0 and 1.");
        }

        if (now >= freshUntil)
        {
            return true;
        }

        if (beta == 0 || recomputeTime == TimeSpan.Zero)
        {
            return false;
        }

        if (random01 == 0)
        {
            return true;
        }

        var gapSeconds = -recomputeTime.TotalSeconds * beta * Math.Log(random01);
        return gapSeconds >= (freshUntil - now).TotalSeconds;
    }

    /// <summary>
    /// The <c>Cache-Status</c> detail that tells an operator a response was not stored because of the upstream's own
    /// <c>Cache-Control</c> (<c>upstream-no-store</c>, <c>upstream-no-cache</c>, <c>upstream-private</c>), or null when
    /// the refusal had another cause (the client's <c>no-store</c>, <c>Authorization</c>, <c>Set-Cookie</c>). Only the
    /// <see cref="UpstreamCacheControl.Honor"/> mode refuses for the upstream's directives.
    /// </summary>
    internal static string? UpstreamRefusalDetail(StorageRefusal refusal, in ResponseFacts facts) => refusal switch
    {
        StorageRefusal.NoStore when !facts.RequestCacheControl.NoStore => "upstream-no-store",
        StorageRefusal.NoCache => "upstream-no-cache",
        StorageRefusal.Private => "upstream-private",
        _ => null,
    };

    private StorageRefusal Refuse(CacheControl response, in ResponseFacts facts)
    {
        if (facts.RequestCacheControl.NoStore || response.NoStore)
        {
            return StorageRefusal.NoStore;
        }

        if (response.NoCache)
        {
            return StorageRefusal.NoCache;
        }

        if (facts.TenantsIsolated)
        {
            return StorageRefusal.None; // every entry belongs to one tenant, so nothing is shared
        }

        if (response.Private)
        {
            return StorageRefusal.Private;
        }

        // RFC 9111 section 3.5: a shared cache may reuse a response to an authorized request when the response
        // says so explicitly (public, s-maxage or must-revalidate).
        var explicitlyShared = response.Public || response.SharedMaxAge is not null || response.MustRevalidate;
        if (facts.RequestHasAuthorization && !_policy.ShareAuthorizedResponses && !explicitlyShared)
        {
            return StorageRefusal.Authorization;
        }

        if (facts.SetsCookie && !_policy.ShareAuthorizedResponses)
        {
            return StorageRefusal.SetCookie;
        }

        return StorageRefusal.None;
    }

    private static RequestDecision Fetch(CacheControl request, CacheStatus status, bool canServeStaleOnError)
        => request.OnlyIfCached
            ? new RequestDecision(CacheAction.GatewayTimeout, CacheStatus.Miss, canServeStaleOnError: false)
            : new RequestDecision(CacheAction.Fetch, status, canServeStaleOnError);

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max)
        => value < min ? min : value > max ? max : value;
}
