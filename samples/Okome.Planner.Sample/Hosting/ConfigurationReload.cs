using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Okome.Budget;

namespace Okome.Planner.Sample.Hosting;

/// <summary>
/// Reloads the configuration without a restart. On every reload of the configuration (appsettings.json is read with
/// <c>reloadOnChange</c>; any provider's reload token counts) the <c>Okome</c> section is bound afresh and checked by the
/// start-up validator. A configuration with errors is refused whole with one Warning (event 140) naming them, and everything
/// stays as it was. A good one is applied part by part, in this order: the budget tiers (the budget's policies first, then
/// the key → tier map, so a request never names a policy the budget does not know yet), then the canary split, the cache's
/// freshness windows and the pre-warm list and schedule, which the libraries take through their options monitors
/// (<see cref="AppliedSettings"/>); one Information line (event 141) names the parts that changed. Settings read only at
/// start-up (Redis, upstream URLs, listen URLs, and the rest outside those parts) are not applied: a reload that changes
/// one logs a Warning (event 142) naming them, and the rest still applies.
/// </summary>
/// <remarks>
/// Not <c>IOptionsMonitor&lt;SampleOptions&gt;.OnChange</c>: the monitor's factory runs the same validator, so a bad reload
/// would throw out of the configuration's change callback (on the file watcher's thread) and leave the monitor no value,
/// where we want one log line and the last good configuration kept. <see cref="SampleOptions"/> is therefore bound with no
/// change token (the start-up snapshot) and this class reads the reloaded configuration itself.
/// </remarks>
internal sealed partial class ConfigurationReload : IHostedService, IDisposable
{
    private const string BudgetPart = "budget tiers";
    private const string CanaryPart = "canary";
    private const string CachePart = "cache windows";
    private const string PrewarmPart = "pre-warm list";

    // Where each reloaded part's keys live (a key is the prefix or below it); every other Okome key, and the listen URLs,
    // take effect only after a restart.
    private static readonly (string Prefix, string Part)[] Reloadable =
    [
        ("Okome:Budget:RequestsPerMinute", BudgetPart),
        ("Okome:Budget:Burst", BudgetPart),
        ("Okome:Budget:TokensPerDay", BudgetPart),
        ("Okome:Budget:MaxConcurrent", BudgetPart),
        ("Okome:Budget:Tiers", BudgetPart),
        ("Okome:Budget:Keys", BudgetPart),
        ("Okome:Canary", CanaryPart),
        ("Okome:Cache:FreshSeconds", CachePart),
        ("Okome:Cache:StaleSeconds", CachePart),
        ("Okome:Cache:CacheNonDeterministic", CachePart),
        ("Okome:Cache:UpstreamCacheControl", CachePart),
        ("Okome:Prewarm", PrewarmPart),
    ];

    // The sections whose third segment is still a setting's name (Okome:Upstream:BaseUrls:0 → Okome:Upstream:BaseUrls).
    private static readonly HashSet<string> Sections = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(SampleOptions.Upstream), nameof(SampleOptions.Budget), nameof(SampleOptions.Cache), nameof(SampleOptions.Gpu),
        nameof(SampleOptions.Simulator), nameof(SampleOptions.Health), nameof(SampleOptions.Telemetry),
    };

    private readonly IConfiguration _configuration;
    private readonly IValidateOptions<SampleOptions>[] _validators;
    private readonly BudgetTiers _tiers;
    private readonly BudgetService _budget;
    private readonly AppliedSettings _applied;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Dictionary<string, string> _appliedKeys;
    private IDisposable? _subscription;

    public ConfigurationReload(
        IConfiguration configuration,
        IEnumerable<IValidateOptions<SampleOptions>> validators,
        BudgetTiers tiers,
        BudgetService budget,
        AppliedSettings applied,
        ILogger<ConfigurationReload> logger)
    {
        _configuration = configuration;
        _validators = [.. validators];
        _tiers = tiers;
        _budget = budget;
        _applied = applied;
        _logger = logger;
        _appliedKeys = Flatten(configuration);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = ChangeToken.OnChange(_configuration.GetReloadToken, Reload);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => Interlocked.Exchange(ref _subscription, null)?.Dispose();

    /// <summary>Applies the configuration as it is now, or refuses it (and keeps everything) when the validator finds errors.</summary>
    internal void Reload()
    {
        // One reload at a time, so two quick saves are applied in order.
        lock (_gate)
        {
            ReloadCore();
        }
    }

    private void ReloadCore()
    {
        var options = new SampleOptions();
        _configuration.GetSection(SampleOptions.Section).Bind(options);
        var errors = _validators
            .Select(validator => validator.Validate(Options.DefaultName, options))
            .Where(static result => result.Failed)
            .SelectMany(static result => result.Failures ?? [])
            .ToList();
        if (errors.Count > 0)
        {
            LogRefused(_logger, errors.Count, string.Join("; ", errors));
            return;
        }

        var keys = Flatten(_configuration);
        var (parts, restart) = Changes(_appliedKeys, keys);
        _appliedKeys = keys;
        if (parts.Contains(BudgetPart))
        {
            ApplyTiers(new BudgetTiers(options.Budget));
        }

        if (parts.Count > 0)
        {
            try
            {
                // The canary, cache and pre-warm options monitors run here, on this thread.
                _applied.Apply(options);
            }
#pragma warning disable CA1031 // A library refusing its options must not break the configuration's reload callback: logged.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogApplyFailed(_logger, ex);
            }

            LogReloaded(_logger, parts);
        }

        if (restart.Count > 0)
        {
            LogRestartNeeded(_logger, restart);
        }
    }

    /// <summary>The budget's policies first, then the tier map, so a request never names a policy the budget does not know.</summary>
    private void ApplyTiers(BudgetTiers next)
    {
        // Policies dropped from the configuration stay known, so a request that read the old tiers just before the swap
        // still finds its policy; no new request is sent to them.
        var names = next.Policies.Select(static policy => policy.Name).ToHashSet(StringComparer.Ordinal);
        _budget.ReplacePolicies([.. next.Policies, .. _tiers.Policies.Where(policy => !names.Contains(policy.Name))]);
        _tiers.ReplaceWith(next);
    }

    /// <summary>The reloaded parts that changed (in the order they are applied) and the restart-only settings that changed.</summary>
    internal static (List<string> Parts, List<string> Restart) Changes(Dictionary<string, string> before, Dictionary<string, string> after)
    {
        var changed = after.Where(pair => !before.TryGetValue(pair.Key, out var old) || old != pair.Value).Select(static pair => pair.Key)
            .Concat(before.Keys.Where(key => !after.ContainsKey(key)));
        var parts = new HashSet<string>(StringComparer.Ordinal);
        var restart = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in changed)
        {
            if (PartOf(key) is { } part)
            {
                parts.Add(part);
            }
            else
            {
                restart.Add(SettingOf(key));
            }
        }

        return ([.. new[] { BudgetPart, CanaryPart, CachePart, PrewarmPart }.Where(parts.Contains)], [.. restart]);
    }

    private static string? PartOf(string key)
    {
        foreach (var (prefix, part) in Reloadable)
        {
            if (key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && (key.Length == prefix.Length || key[prefix.Length] == ':'))
            {
                return part;
            }
        }

        return null;
    }

    /// <summary>
    /// The setting a changed key belongs to, without list indexes or dictionary keys (a value is never logged, nor a key
    /// segment that could be one): <c>Okome:Upstream:BaseUrls:0</c> → <c>Okome:Upstream:BaseUrls</c>.
    /// </summary>
    private static string SettingOf(string key)
    {
        var segments = key.Split(':');
        var keep = segments.Length >= 3 && Sections.Contains(segments[1]) ? 3 : Math.Min(segments.Length, 2);
        return string.Join(':', segments.Take(keep));
    }

    /// <summary>Every key of the <c>Okome</c> section with a value, and the listen URLs (<c>urls</c>), as they are now.</summary>
    private static Dictionary<string, string> Flatten(IConfiguration configuration)
    {
        var keys = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in configuration.GetSection(SampleOptions.Section).AsEnumerable())
        {
            if (value is not null)
            {
                keys[key] = value;
            }
        }

        if (configuration["urls"] is { } urls)
        {
            keys["urls"] = urls;
        }

        return keys;
    }

    [LoggerMessage(EventId = 140, Level = LogLevel.Warning, Message = "The reloaded configuration was refused and everything stays as it was (budget tiers, canary, cache windows, pre-warm list); errors ({Count}): {Errors}")]
    private static partial void LogRefused(ILogger logger, int count, string errors);

    [LoggerMessage(EventId = 141, Level = LogLevel.Information, Message = "The configuration was reloaded: {Parts} applied.")]
    private static partial void LogReloaded(ILogger logger, IEnumerable<string> parts);

    [LoggerMessage(EventId = 142, Level = LogLevel.Warning, Message = "The reloaded configuration changes settings read only at start-up, which take effect after a restart: {Settings}; the rest was applied.")]
    private static partial void LogRestartNeeded(ILogger logger, IEnumerable<string> settings);

    [LoggerMessage(EventId = 143, Level = LogLevel.Error, Message = "A library refused the reloaded options; the budget tiers were applied, the rest may not have been.")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception);
}
