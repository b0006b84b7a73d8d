using Okome.Budget.Resilience;

namespace Okome.Planner.Sample;

/// <summary>
/// The service's configuration, bound from the <c>Okome</c> section (appsettings, environment <c>Okome__…</c>, command line)
/// and validated at start-up by <see cref="SampleOptionsValidator"/>. Every key is documented in the README.
/// </summary>
public sealed class SampleOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Okome";

    /// <summary>The default largest request body: 1 MiB.</summary>
    public const long DefaultMaxRequestBodyBytes = 1024 * 1024;

    /// <summary>A StackExchange.Redis connection string; empty means the embedded in-memory stores.</summary>
    public string? Redis { get; set; }

    /// <summary>The upstream settings.</summary>
    public UpstreamOptions Upstream { get; set; } = new();

    /// <summary>The canary split.</summary>
    public CanarySettings Canary { get; set; } = new();

    /// <summary>The per-API-key budget.</summary>
    public BudgetSettings Budget { get; set; } = new();

    /// <summary>The response cache.</summary>
    public CacheSettings Cache { get; set; } = new();

    /// <summary>GPU concurrency and load shedding.</summary>
    public GpuSettings Gpu { get; set; } = new();

    /// <summary>The built-in simulated upstream.</summary>
    public SimulatorSettings Simulator { get; set; } = new();

    /// <summary>The upstream health probe.</summary>
    public HealthSettings Health { get; set; } = new();

    /// <summary>The requests kept fresh in the cache ahead of clients (none by default).</summary>
    public PrewarmSettings Prewarm { get; set; } = new();

    /// <summary>The OpenTelemetry resource of the service's metrics and traces.</summary>
    public TelemetrySettings Telemetry { get; set; } = new();

    /// <summary>The largest request body accepted (413 above it).</summary>
    /// <value>Default 1 MiB.</value>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    /// <summary>
    /// How long one Redis call of the cache or the budgets may take before the request goes on without it (the cache then
    /// answers <c>BYPASS</c>, the budget follows its failure mode); null keeps the libraries' defaults (cache 500 ms,
    /// budget 250 ms).
    /// </summary>
    public int? StoreTimeoutMs { get; set; }

    /// <summary>The key of the admin endpoints (header <c>X-OKOME-Admin-Key</c>); empty turns them off (404).</summary>
    public string? AdminKey { get; set; }

    /// <summary>Whether the built-in simulator is the stable upstream (no <see cref="UpstreamOptions.BaseUrl"/> nor <see cref="UpstreamOptions.BaseUrls"/>).</summary>
    internal bool UsesSimulator => Upstream.StableUrls().Count == 0;

    /// <summary>The OpenTelemetry resource (<c>Okome:Telemetry</c>).</summary>
    public sealed class TelemetrySettings
    {
        /// <summary>The default <c>service.name</c>.</summary>
        public const string DefaultServiceName = "okome";

        /// <summary>The <c>service.name</c> of every metric and span.</summary>
        /// <value>Default <c>okome</c>.</value>
        public string ServiceName { get; set; } = DefaultServiceName;

        /// <summary>The <c>service.instance.id</c>: tells the instances of one service apart.</summary>
        /// <value>Default: the machine name and the port of the first URL (<c>gpu-front-1:8000</c>), or a new GUID when there is no URL.</value>
        public string? InstanceId { get; set; }
    }

    /// <summary>Where requests go: a pool of GPU hosts (stable) and optionally a canary pool, with next-upstream retry.</summary>
    public sealed class UpstreamOptions
    {
        /// <summary>
        /// One OpenAI-compatible base URL (for example <c>http://127.0.0.1:9000/v1</c>): the shorthand for a one-host pool.
        /// Empty (and no <see cref="BaseUrls"/>) means the built-in simulator.
        /// </summary>
        public string? BaseUrl { get; set; }

        /// <summary>
        /// The stable pool's base URLs (<c>Okome:Upstream:BaseUrls:0</c>, <c>:1</c>, …), each host labelled by its
        /// <c>host:port</c> (in <c>X-Upstream</c>, <c>/health</c> and metrics). Use this or <see cref="BaseUrl"/>, not both.
        /// </summary>
        public IList<string> BaseUrls { get; } = new List<string>();

        /// <summary>The key sent upstream as <c>Authorization: Bearer</c>; the client's key is never forwarded.</summary>
        public string? ApiKey { get; set; }

        /// <summary>The canary's OpenAI-compatible base URL (a one-host canary pool); empty means no canary.</summary>
        public string? CanaryBaseUrl { get; set; }

        /// <summary>The canary pool's base URLs (<c>Okome:Upstream:CanaryBaseUrls:0..n</c>); use this or <see cref="CanaryBaseUrl"/>.</summary>
        public IList<string> CanaryBaseUrls { get; } = new List<string>();

        /// <summary>How long the upstream may take to answer with its status and headers (a stream may then run on).</summary>
        /// <value>Default 600 (as the gateway's proxy timeouts).</value>
        public int TimeoutSeconds { get; set; } = 600;

        /// <summary>
        /// How many hosts of the pool one call may try (nginx <c>proxy_next_upstream_tries</c>): a host that refuses or resets
        /// the connection, gives no headers within <see cref="ConnectTimeoutSeconds"/>, or answers 502/503/504 before any byte
        /// went out is followed by the next healthy host. 1 turns retries off.
        /// </summary>
        /// <value>Default 2.</value>
        public int Tries { get; set; } = 2;

        /// <summary>Seconds a host may take to answer with its status and headers before the next host is tried.</summary>
        /// <value>Default 60.</value>
        public int ConnectTimeoutSeconds { get; set; } = 60;

        /// <summary>Seconds after the first try during which a next host may still be tried (nginx <c>proxy_next_upstream_timeout</c>); 0 means no limit.</summary>
        /// <value>Default 0.</value>
        public int NextUpstreamTimeoutSeconds { get; set; }

        /// <summary>The stable pool's base URLs: <see cref="BaseUrls"/>, or <see cref="BaseUrl"/> alone, or none (the simulator).</summary>
        internal IReadOnlyList<string> StableUrls() => Urls(BaseUrl, BaseUrls);

        /// <summary>The canary pool's base URLs: <see cref="CanaryBaseUrls"/>, or <see cref="CanaryBaseUrl"/> alone, or none.</summary>
        internal IReadOnlyList<string> CanaryUrls() => Urls(CanaryBaseUrl, CanaryBaseUrls);

        private static IReadOnlyList<string> Urls(string? one, IList<string>? many)
            => many is { Count: > 0 } ? [.. many] : string.IsNullOrWhiteSpace(one) ? [] : [one];
    }

    /// <summary>
    /// The canary split by API key (the library's <c>CanaryOptions</c>, split by tenant: the key's partition, as
    /// <c>okome key-hash</c> prints it, or <c>anonymous</c>). Reloaded without a restart.
    /// </summary>
    public sealed class CanarySettings
    {
        /// <summary>The percentage of API keys sent to the canary, 0 to 100 (a stable hash of the key's hash).</summary>
        /// <value>Default 0.</value>
        public double Percent { get; set; }

        /// <summary>
        /// Keys always sent to the canary, whatever <see cref="Percent"/> (<c>Okome:Canary:AllowList:0</c>, …): each a key hash
        /// as <c>okome key-hash &lt;key&gt;</c> prints it, or <c>anonymous</c> (requests without a key), never the key itself.
        /// </summary>
        public IList<string> AllowList { get; } = new List<string>();

        /// <summary>Keys never sent to the canary by the split (<c>Okome:Canary:DenyList:0</c>, …), as <see cref="AllowList"/>; none in both.</summary>
        public IList<string> DenyList { get; } = new List<string>();
    }

    /// <summary>The budget every API key gets (requests without a key share the <c>anonymous</c> partition).</summary>
    public sealed class BudgetSettings
    {
        /// <summary>Requests per minute in the long run; 0 turns the rate limit off.</summary>
        /// <value>Default 60.</value>
        public int RequestsPerMinute { get; set; } = 60;

        /// <summary>Requests allowed at once after a quiet spell.</summary>
        /// <value>Default 10.</value>
        public int Burst { get; set; } = 10;

        /// <summary>Tokens (prompt estimate plus generated) per UTC calendar day; 0 turns the quota off.</summary>
        /// <value>Default 200 000.</value>
        public long TokensPerDay { get; set; } = 200_000;

        /// <summary>Requests in flight at once; 0 turns the cap off.</summary>
        /// <value>Default 4.</value>
        public int MaxConcurrent { get; set; } = 4;

        /// <summary>The <c>max_tokens</c> assumed when estimating the cost of a request without one.</summary>
        /// <value>Default 256.</value>
        public int DefaultMaxTokens { get; set; } = 256;

        /// <summary>
        /// What decisions do while Redis is unreachable or slower than <c>Okome:StoreTimeoutMs</c>: <c>LocalFallback</c> (a
        /// limiter in this instance with <see cref="LocalFallbackShare"/> of each limit, continuing from Redis's last answer),
        /// <c>FailOpen</c> (allow, count nothing) or <c>FailClosed</c> (deny with Retry-After).
        /// </summary>
        /// <value>Default <see cref="BudgetFailureMode.LocalFallback"/>.</value>
        public BudgetFailureMode FailureMode { get; set; } = BudgetFailureMode.LocalFallback;

        /// <summary>The share of each limit one instance's local fallback grants: <c>1 / N</c> for N instances. Above 0, at most 1.</summary>
        /// <value>Default 1.</value>
        public double LocalFallbackShare { get; set; } = 1.0;

        /// <summary>
        /// Named tiers (<c>Okome:Budget:Tiers:{name}:*</c>), each its own policy <c>chat-{name}</c> with the limit keys above;
        /// the limits above are the default tier, which every key not in <see cref="Keys"/> gets.
        /// </summary>
        public Dictionary<string, BudgetTierSettings> Tiers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>
        /// The API keys of the named tiers, stored as hashes: <c>Okome:Budget:Keys:{hash} = {tier}</c>, with the hash as
        /// <c>okome key-hash &lt;key&gt;</c> prints it (<c>key-</c> and 32 lower-case hex digits), never the key itself.
        /// </summary>
        public Dictionary<string, string> Keys { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The response cache.</summary>
    public sealed class CacheSettings
    {
        /// <summary>How long a response stays fresh.</summary>
        /// <value>Default 300.</value>
        public int FreshSeconds { get; set; } = 300;

        /// <summary>How long after that it may be served stale (while revalidating, or when the upstream fails).</summary>
        /// <value>Default 3600.</value>
        public int StaleSeconds { get; set; } = 3600;

        /// <summary>Whether sampling requests (temperature above 0 without a seed) are cached too.</summary>
        /// <value>Default <see langword="false"/>: they are <c>BYPASS</c>.</value>
        public bool CacheNonDeterministic { get; set; }

        /// <summary>
        /// Whether the upstream's <c>Cache-Control</c> decides what is stored (<c>Honor</c>, RFC 9111) or the windows above do
        /// (<c>Ignore</c>, as nginx's <c>proxy_ignore_headers Cache-Control</c>). The client's request directives count either way.
        /// </summary>
        /// <value>
        /// Default <c>Ignore</c>: the operator runs the GPU host, and SSE servers send <c>no-cache</c> or <c>no-store</c> about
        /// the live stream, not about reusing a deterministic answer (honoured, they would keep everything out of the cache).
        /// </value>
        public Okome.Caching.Freshness.UpstreamCacheControl UpstreamCacheControl { get; set; } = Okome.Caching.Freshness.UpstreamCacheControl.Ignore;

        /// <summary>
        /// How long each instance keeps an in-process copy (L1) of an entry read from or written to Redis, so repeated
        /// prompts hit without a round trip and keep hitting while Redis is away; 0 turns it off. Copies stay coherent
        /// through Redis pub/sub (another instance's write or a namespace bump drops them; a reconnect drops them all).
        /// </summary>
        /// <value>Default 30.</value>
        public int LocalSeconds { get; set; } = 30;
    }

    /// <summary>GPU concurrency.</summary>
    public sealed class GpuSettings
    {
        /// <summary>Upstream calls at once in this process before lower priorities are shed; 0 means no cap.</summary>
        /// <value>Default 0.</value>
        public int MaxConcurrent { get; set; }
    }

    /// <summary>The built-in simulated upstream.</summary>
    public sealed class SimulatorSettings
    {
        /// <summary>The delay before the first token, in milliseconds.</summary>
        /// <value>Default 300.</value>
        public int FirstTokenDelayMs { get; set; } = 300;

        /// <summary>The delay between tokens, in milliseconds.</summary>
        /// <value>Default 50.</value>
        public int TokenDelayMs { get; set; } = 50;

        /// <summary>The tokens generated when a request gives no <c>max_tokens</c>.</summary>
        /// <value>Default 16.</value>
        public int DefaultMaxTokens { get; set; } = 16;
    }

    /// <summary>Pre-warming: chat completion requests refreshed before they expire, at background priority.</summary>
    public sealed class PrewarmSettings
    {
        /// <summary>
        /// Chat completion request bodies, each a JSON string (<c>Okome:Prewarm:Requests:0</c>, <c>:1</c>, …) exactly as a
        /// client would POST it to <c>/v1/chat/completions</c>; validated at start-up. Empty turns pre-warming off.
        /// </summary>
        public IList<string> Requests { get; } = new List<string>();

        /// <summary>The API key whose cache entries are warmed (entries are per key); empty warms the entries of requests without one.</summary>
        public string? ApiKey { get; set; }

        /// <summary>Seconds between pre-warm rounds.</summary>
        /// <value>Default 30.</value>
        public int IntervalSeconds { get; set; } = 30;

        /// <summary>An entry is refreshed when it is missing, stale, or fresh for less than this many seconds.</summary>
        /// <value>Default 10.</value>
        public int RefreshAheadSeconds { get; set; } = 10;
    }

    /// <summary>The upstream health probe (<c>GET {base URL}/models</c> of every host of every pool).</summary>
    public sealed class HealthSettings
    {
        /// <summary>Seconds between probes.</summary>
        /// <value>Default 5.</value>
        public int IntervalSeconds { get; set; } = 5;

        /// <summary>Seconds a probe may take before it counts as failed.</summary>
        /// <value>Default 2.</value>
        public int TimeoutSeconds { get; set; } = 2;

        /// <summary>Consecutive successful probes that mark a host up.</summary>
        /// <value>Default 2.</value>
        public int Rise { get; set; } = 2;

        /// <summary>Consecutive failures (failed probes, and failed calls: refused, no headers in time, 502/503/504) that mark a host down.</summary>
        /// <value>Default 3.</value>
        public int Fall { get; set; } = 3;
    }
}
