using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Okome.Budget.Policies;
using Okome.Caching.Keys;
using Okome.Planner.Sample.Api;
using Okome.Planner.Sample.Hosting;
using StackExchange.Redis;

namespace Okome.Planner.Sample;

/// <summary>
/// Validates <see cref="SampleOptions"/> at start-up (<c>ValidateOnStart</c>): every error is listed at once and names the
/// configuration key, so an operator sees at a glance what to fix.
/// </summary>
internal sealed class SampleOptionsValidator : IValidateOptions<SampleOptions>
{
    private const int MaxDelayMs = 60_000;

    public ValidateOptionsResult Validate(string? name, SampleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        void Check(bool ok, string key, object? value, string rule)
        {
            if (!ok)
            {
                // URLs and keys may hold credentials: their values are never echoed.
                errors.Add(value is null
                    ? $"Okome:{key} {rule}"
                    : string.Create(CultureInfo.InvariantCulture, $"Okome:{key} {rule} (was {value})"));
            }
        }

        if (!string.IsNullOrWhiteSpace(options.Redis))
        {
            try
            {
                _ = ConfigurationOptions.Parse(options.Redis);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or RedisConnectionException or NotSupportedException)
            {
                errors.Add($"Okome:Redis is not a valid StackExchange.Redis connection string: {ex.Message}");
            }
        }

        var upstream = options.Upstream ?? new SampleOptions.UpstreamOptions();
        Check(upstream.BaseUrl is null || upstream.BaseUrl.Length == 0 || IsHttpUrl(upstream.BaseUrl), "Upstream:BaseUrl", null, "must be an absolute http or https URL such as http://127.0.0.1:9000/v1");
        Check(upstream.CanaryBaseUrl is null || upstream.CanaryBaseUrl.Length == 0 || IsHttpUrl(upstream.CanaryBaseUrl), "Upstream:CanaryBaseUrl", null, "must be an absolute http or https URL");
        CheckPool(errors, "BaseUrl", upstream.BaseUrl, "BaseUrls", upstream.BaseUrls);
        CheckPool(errors, "CanaryBaseUrl", upstream.CanaryBaseUrl, "CanaryBaseUrls", upstream.CanaryBaseUrls);
        Check(upstream.TimeoutSeconds is >= 1 and <= 86_400, "Upstream:TimeoutSeconds", upstream.TimeoutSeconds, "must be from 1 to 86400");
        Check(upstream.Tries is >= 1 and <= 64, "Upstream:Tries", upstream.Tries, "must be from 1 (no retry) to 64");
        Check(upstream.ConnectTimeoutSeconds is >= 1 and <= 86_400, "Upstream:ConnectTimeoutSeconds", upstream.ConnectTimeoutSeconds, "must be from 1 to 86400");
        Check(upstream.NextUpstreamTimeoutSeconds is >= 0 and <= 86_400, "Upstream:NextUpstreamTimeoutSeconds", upstream.NextUpstreamTimeoutSeconds, "must be from 0 (no limit) to 86400");

        var canary = options.Canary ?? new SampleOptions.CanarySettings();
        Check(canary.Percent is >= 0 and <= 100, "Canary:Percent", canary.Percent, "must be from 0 to 100");
        Check(canary.Percent == 0 || upstream.CanaryUrls().Count > 0, "Canary:Percent", canary.Percent, "needs Okome:Upstream:CanaryBaseUrl or CanaryBaseUrls when above 0");
        CheckCanaryLists(errors, canary, upstream.CanaryUrls().Count > 0);

        var budget = options.Budget ?? new SampleOptions.BudgetSettings();
        Check(budget.RequestsPerMinute is >= 0 and <= 60_000_000, "Budget:RequestsPerMinute", budget.RequestsPerMinute, "must be from 0 (off) to 60000000");
        Check(budget.Burst is >= 1 and <= 1_000_000, "Budget:Burst", budget.Burst, "must be from 1 to 1000000");
        Check(budget.TokensPerDay is >= 0 and <= BudgetLimit.MaxQuota, "Budget:TokensPerDay", budget.TokensPerDay, "must be from 0 (off) to 2^50");
        Check(budget.MaxConcurrent is >= 0 and <= BudgetLimit.MaxConcurrency, "Budget:MaxConcurrent", budget.MaxConcurrent, "must be from 0 (off) to 1000000");
        Check(budget.DefaultMaxTokens is >= 1 and <= 10_000_000, "Budget:DefaultMaxTokens", budget.DefaultMaxTokens, "must be from 1 to 10000000");
        Check(Enum.IsDefined(budget.FailureMode), "Budget:FailureMode", budget.FailureMode, "must be LocalFallback, FailOpen or FailClosed");
        Check(budget.LocalFallbackShare is > 0 and <= 1, "Budget:LocalFallbackShare", budget.LocalFallbackShare, "must be above 0 and at most 1 (1 / the number of instances)");
        BudgetTiers.Validate(errors, budget);

        var cache = options.Cache ?? new SampleOptions.CacheSettings();
        Check(cache.FreshSeconds is >= 1 and <= 31_536_000, "Cache:FreshSeconds", cache.FreshSeconds, "must be from 1 to 31536000 (a year)");
        Check(cache.StaleSeconds is >= 0 and <= 31_536_000, "Cache:StaleSeconds", cache.StaleSeconds, "must be from 0 to 31536000 (a year)");
        Check(Enum.IsDefined(cache.UpstreamCacheControl), "Cache:UpstreamCacheControl", cache.UpstreamCacheControl, "must be Honor or Ignore");
        Check(cache.LocalSeconds is >= 0 and <= 86_400, "Cache:LocalSeconds", cache.LocalSeconds, "must be from 0 to 86400 (a day)");

        var gpu = options.Gpu ?? new SampleOptions.GpuSettings();
        Check(gpu.MaxConcurrent is >= 0 and <= 100_000, "Gpu:MaxConcurrent", gpu.MaxConcurrent, "must be from 0 (no cap) to 100000");

        var simulator = options.Simulator ?? new SampleOptions.SimulatorSettings();
        Check(simulator.FirstTokenDelayMs is >= 0 and <= MaxDelayMs, "Simulator:FirstTokenDelayMs", simulator.FirstTokenDelayMs, "must be from 0 to 60000");
        Check(simulator.TokenDelayMs is >= 0 and <= MaxDelayMs, "Simulator:TokenDelayMs", simulator.TokenDelayMs, "must be from 0 to 60000");
        Check(simulator.DefaultMaxTokens is >= 1 and <= 100_000, "Simulator:DefaultMaxTokens", simulator.DefaultMaxTokens, "must be from 1 to 100000");

        var health = options.Health ?? new SampleOptions.HealthSettings();
        Check(health.IntervalSeconds is >= 1 and <= 3600, "Health:IntervalSeconds", health.IntervalSeconds, "must be from 1 to 3600");
        Check(health.TimeoutSeconds is >= 1 and <= 600, "Health:TimeoutSeconds", health.TimeoutSeconds, "must be from 1 to 600");
        Check(health.Rise is >= 1 and <= 1000, "Health:Rise", health.Rise, "must be from 1 to 1000");
        Check(health.Fall is >= 1 and <= 1000, "Health:Fall", health.Fall, "must be from 1 to 1000");

        var prewarm = options.Prewarm ?? new SampleOptions.PrewarmSettings();
        Check(prewarm.IntervalSeconds is >= 1 and <= 86_400, "Prewarm:IntervalSeconds", prewarm.IntervalSeconds, "must be from 1 to 86400");
        Check(prewarm.RefreshAheadSeconds is >= 0 and <= 86_400, "Prewarm:RefreshAheadSeconds", prewarm.RefreshAheadSeconds, "must be from 0 to 86400");
        var requests = prewarm.Requests ?? [];
        for (var i = 0; i < requests.Count; i++)
        {
            // Request bodies may hold private prompts: only the parser's own message (which never echoes input) is shown.
            var key = string.Create(CultureInfo.InvariantCulture, $"Prewarm:Requests:{i}");
            var body = Encoding.UTF8.GetBytes(requests[i] ?? string.Empty);
            if (!ChatRequestParser.TryParse(body, out _, out var error))
            {
                Check(false, key, null, "must be a chat completion request body as a JSON string: " + error.Message);
                continue;
            }

            Check(
                cache.CacheNonDeterministic || new CacheKeyBuilder(new CacheKeyPolicy()).IsDeterministic(body),
                key, null, "is never cached, so it cannot be pre-warmed: give it \"temperature\": 0 or a \"seed\" (or set Okome:Cache:CacheNonDeterministic)");
            Check(body.LongLength <= options.MaxRequestBodyBytes, key, null, "is larger than Okome:MaxRequestBodyBytes");
        }

        Check(options.StoreTimeoutMs is null or (>= 10 and <= 60_000), "StoreTimeoutMs", options.StoreTimeoutMs, "must be from 10 to 60000 (milliseconds)");
        Check(options.MaxRequestBodyBytes is >= 1024 and <= 1L << 30, "MaxRequestBodyBytes", options.MaxRequestBodyBytes, "must be from 1024 to 1073741824 (1 GiB)");
        Check(options.AdminKey is null || options.AdminKey.Length == 0 || options.AdminKey.Trim().Length >= 8, "AdminKey", null, "must be empty (admin endpoints off) or at least 8 characters");

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// The canary's allow and deny lists: each entry a key hash (as <c>okome key-hash</c> prints it) or <c>anonymous</c>, in
    /// one list at most, and a canary to send them to. An entry that is not a hash may be a raw API key: it is never echoed.
    /// </summary>
    private static void CheckCanaryLists(List<string> errors, SampleOptions.CanarySettings canary, bool hasCanary)
    {
        var allowed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, list) in new[] { ("AllowList", canary.AllowList), ("DenyList", canary.DenyList) })
        {
            for (var i = 0; i < (list?.Count ?? 0); i++)
            {
                var entry = list![i];
                var key = string.Create(CultureInfo.InvariantCulture, $"Okome:Canary:{name}:{i}");
                if (!IsCanaryEntry(entry))
                {
                    errors.Add($"{key} is not a key hash (key- and 32 hex digits, as `okome key-hash <key>` prints it) nor 'anonymous'; the entry is not shown, since it may be a raw API key");
                }
                else if (name == "AllowList")
                {
                    allowed.Add(entry);
                }
                else if (allowed.Contains(entry))
                {
                    errors.Add($"{key} ({entry}) is in Okome:Canary:AllowList too; a key is in one list at most");
                }
            }
        }

        if (!hasCanary && (canary.AllowList?.Count > 0 || canary.DenyList?.Count > 0))
        {
            errors.Add("Okome:Canary:AllowList and DenyList need Okome:Upstream:CanaryBaseUrl or CanaryBaseUrls");
        }
    }

    /// <summary>Whether a canary list entry is a key's partition: a key hash or <c>anonymous</c>.</summary>
    internal static bool IsCanaryEntry(string? entry)
        => BudgetTiers.IsKeyHash(entry) || string.Equals(entry, ApiKeys.Anonymous, StringComparison.OrdinalIgnoreCase);

    /// <summary>A pool's URLs: the one-host shorthand or the list, not both; each list entry an http(s) URL; distinct host:port labels.</summary>
    private static void CheckPool(List<string> errors, string oneKey, string? one, string manyKey, IList<string>? many)
    {
        if (many is null || many.Count == 0)
        {
            return;
        }

        if (!string.IsNullOrWhiteSpace(one))
        {
            errors.Add($"Okome:Upstream:{oneKey} and Okome:Upstream:{manyKey} are both set: use {oneKey} for one host or {manyKey}:0..n for several, not both");
        }

        if (many.Count > 64)
        {
            errors.Add($"Okome:Upstream:{manyKey} lists {many.Count} hosts; at most 64");
        }

        var labels = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < many.Count; i++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"Okome:Upstream:{manyKey}:{i}");
            if (string.IsNullOrWhiteSpace(many[i]) || !IsHttpUrl(many[i]))
            {
                errors.Add($"{key} must be an absolute http or https URL such as http://127.0.0.1:9000/v1");
                continue;
            }

            // Hosts are labelled by host:port (X-Upstream, /health, metrics), so two URLs on one host:port would be one host.
            var label = Upstream.UpstreamRouter.LabelOf(many[i]);
            if (labels.TryGetValue(label, out var first))
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key} has the same host:port as Okome:Upstream:{manyKey}:{first}; each host must be listed once"));
            }
            else
            {
                labels[label] = i;
            }
        }
    }

    private static bool IsHttpUrl(string value)
        => Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
