using Okome.Budget.Resilience;

namespace Okome.Gateway;

/// <summary>
/// The keys the gateway shares with the OKOME service, bound from the <c>Okome</c> section with the service's names and
/// defaults: the Redis connection, the admin key, the budget and the store timeout. One configuration file can serve both.
/// </summary>
public sealed class SharedOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Okome";

    /// <summary>A StackExchange.Redis connection string shared with the services; empty means in-memory state in this gateway.</summary>
    public string? Redis { get; set; }

    /// <summary>The key of <c>POST /admin/maintenance</c> (header <c>X-OKOME-Admin-Key</c>); empty turns it off (404).</summary>
    public string? AdminKey { get; set; }

    /// <summary>How long one Redis call of the cache or the budget may take; null keeps the libraries' defaults.</summary>
    public int? StoreTimeoutMs { get; set; }

    /// <summary>The per-API-key budget, applied at the edge.</summary>
    public BudgetSettings Budget { get; set; } = new();

    /// <summary>
    /// The service's budget keys (<c>Okome:Budget:*</c>). The edge enforces the request rate and the concurrency cap; the
    /// token quota is the service's alone, since only it reads the tokens a completion used.
    /// </summary>
    public sealed class BudgetSettings
    {
        /// <summary>Requests per minute in the long run; 0 turns the rate limit off.</summary>
        /// <value>Default 60.</value>
        public int RequestsPerMinute { get; set; } = 60;

        /// <summary>Requests allowed at once after a quiet spell.</summary>
        /// <value>Default 10.</value>
        public int Burst { get; set; } = 10;

        /// <summary>Requests in flight at once; 0 turns the cap off.</summary>
        /// <value>Default 4.</value>
        public int MaxConcurrent { get; set; } = 4;

        /// <summary>What decisions do while Redis is unreachable (as the service).</summary>
        /// <value>Default <see cref="BudgetFailureMode.LocalFallback"/>.</value>
        public BudgetFailureMode FailureMode { get; set; } = BudgetFailureMode.LocalFallback;

        /// <summary>The share of each limit one node's local fallback grants.</summary>
        /// <value>Default 1.</value>
        public double LocalFallbackShare { get; set; } = 1.0;

        /// <summary>Read and validated by the service; listed so that one configuration serves both.</summary>
        public long TokensPerDay { get; set; }

        /// <summary>Read by the service; listed so that one configuration serves both.</summary>
        public int DefaultMaxTokens { get; set; }

        /// <summary>
        /// The service's named tiers (<c>Okome:Budget:Tiers:{name}:*</c>), each enforced at the edge under its own policy
        /// <c>edge-chat-{name}</c> (its rate and concurrency limits; the token quota stays with the service); the limits
        /// above are the default tier, which every key not in <see cref="Keys"/> gets.
        /// </summary>
        public Dictionary<string, BudgetTierSettings> Tiers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>
        /// The API keys of the named tiers, as hashes: <c>Okome:Budget:Keys:{hash} = {tier}</c>, the hash as
        /// <c>okome key-hash &lt;key&gt;</c> prints it (<c>key-</c> and 32 hex digits), never the key itself.
        /// </summary>
        public Dictionary<string, string> Keys { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    }
}
