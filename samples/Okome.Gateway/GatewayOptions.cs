namespace Okome.Gateway;

/// <summary>
/// The gateway's own configuration, bound from the <c>Gateway</c> section (appsettings, environment <c>Gateway__…</c>,
/// command line) and validated at start-up by <see cref="GatewayOptionsValidator"/>. Every key is documented in the README.
/// </summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Gateway";

    /// <summary>The service instance used when <see cref="Services"/> is empty.</summary>
    public const string DefaultService = "http://127.0.0.1:8000";

    /// <summary>The base URLs of the OKOME service instances (<c>Gateway:Services:0</c>, <c>:1</c>, …); empty means <see cref="DefaultService"/>.</summary>
    public IList<string> Services { get; } = new List<string>();

    /// <summary>
    /// How many service instances one request may try (nginx <c>proxy_next_upstream_tries</c>): a connection error, no
    /// headers within <see cref="ActivityTimeoutSeconds"/>, or a 502/503/504 answer before any byte reached the client sends
    /// the request to the next available instance. 1 turns retries off.
    /// </summary>
    /// <value>Default 2.</value>
    public int Tries { get; set; } = 2;

    /// <summary>Seconds to open a connection to an instance before it counts as failed (nginx <c>proxy_connect_timeout</c>).</summary>
    /// <value>Default 60.</value>
    public int ConnectTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Seconds without any activity on a forwarded request (no headers yet, or no bytes of a stream) before it is cut
    /// (nginx <c>proxy_read_timeout</c>/<c>proxy_send_timeout</c>); before the headers, the next instance is tried.
    /// </summary>
    /// <value>Default 600.</value>
    public int ActivityTimeoutSeconds { get; set; } = 600;

    /// <summary>The <c>Retry-After</c> seconds of the gateway's 503 (maintenance, or every instance down).</summary>
    /// <value>Default 30.</value>
    public int RetryAfterSeconds { get; set; } = 30;

    /// <summary>Seconds between reads of the shared maintenance switch (another node's switch is seen within this).</summary>
    /// <value>Default 1.</value>
    public int MaintenanceRefreshSeconds { get; set; } = 1;

    /// <summary>
    /// The API keys whose requests may carry <c>X-OKOME-Priority</c> and <c>X-OKOME-Upstream</c> to the service
    /// (<c>Gateway:TrustedKeys:0</c>, …); the headers are removed from every other request. Compared by hash.
    /// </summary>
    public IList<string> TrustedKeys { get; } = new List<string>();

    /// <summary>
    /// The GET routes the gateway caches with <c>Okome.Caching</c> (<c>Gateway:CachedRoutes:0</c>, …): an exact path such as
    /// <c>/v1/models</c>, or a prefix ending in <c>/*</c> such as <c>/static/*</c>. Served stale when every instance fails.
    /// </summary>
    public IList<string> CachedRoutes { get; } = new List<string>();

    /// <summary>The destination health checks.</summary>
    public HealthSettings Health { get; set; } = new();

    /// <summary>The freshness of the cached routes.</summary>
    public CacheSettings Cache { get; set; } = new();

    /// <summary>The OpenTelemetry resource of the gateway's metrics.</summary>
    public TelemetrySettings Telemetry { get; set; } = new();

    /// <summary>The configured instances, or <see cref="DefaultService"/>.</summary>
    internal IReadOnlyList<string> ServiceUrls() => Services.Count > 0 ? [.. Services] : [DefaultService];

    /// <summary>Active (<c>GET {instance}{Path}</c>) and passive (failed forwards) health of the instances.</summary>
    public sealed class HealthSettings
    {
        /// <summary>The path probed on each instance; 2xx is healthy (the service's readiness: 503 in maintenance or with its GPU pool down).</summary>
        /// <value>Default <c>/health/ready</c>.</value>
        public string Path { get; set; } = "/health/ready";

        /// <summary>Seconds between probes.</summary>
        /// <value>Default 5.</value>
        public int IntervalSeconds { get; set; } = 5;

        /// <summary>Seconds a probe may take.</summary>
        /// <value>Default 2.</value>
        public int TimeoutSeconds { get; set; } = 2;

        /// <summary>Consecutive failed probes that take an instance out (a good probe brings it back).</summary>
        /// <value>Default 2.</value>
        public int Fall { get; set; } = 2;

        /// <summary>
        /// Seconds an instance whose forward failed (connection refused, reset, timed out) stays out before it is tried again
        /// (nginx <c>max_fails=1 fail_timeout</c>).
        /// </summary>
        /// <value>Default 10.</value>
        public int PassiveReactivationSeconds { get; set; } = 10;
    }

    /// <summary>How long responses of the cached routes are kept.</summary>
    public sealed class CacheSettings
    {
        /// <summary>Seconds a cached response is served fresh (<c>HIT</c>).</summary>
        /// <value>Default 60.</value>
        public int FreshSeconds { get; set; } = 60;

        /// <summary>Seconds after that it may still be served when every instance fails (<c>STALE</c>, nginx <c>proxy_cache_use_stale</c>).</summary>
        /// <value>Default 86400.</value>
        public int StaleIfErrorSeconds { get; set; } = 86_400;
    }

    /// <summary>The OpenTelemetry resource (<c>Gateway:Telemetry</c>).</summary>
    public sealed class TelemetrySettings
    {
        /// <summary>The <c>service.name</c> of every metric.</summary>
        /// <value>Default <c>okome-gateway</c>.</value>
        public string ServiceName { get; set; } = "okome-gateway";
    }
}
