using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Okome.Budget;

namespace Okome.Planner.Sample.Hosting;

/// <summary>
/// Reloads the budget tiers without a restart: on every reload of the configuration (appsettings.json is read with
/// <c>reloadOnChange</c>; any provider's reload token counts) the <c>Okome</c> section is bound afresh and checked by the
/// start-up validator. A configuration with errors is refused with one Warning naming them, and the last good tiers stay;
/// a good one replaces the budget's policies (new objects under the same names, so the store's counters carry on) and then
/// the tier map, so a request never names a policy the budget does not know yet. Only the budget is reloaded: canary
/// lists, cache windows and the pre-warm list still need a restart.
/// </summary>
/// <remarks>
/// Not <c>IOptionsMonitor&lt;SampleOptions&gt;.OnChange</c>: the monitor's factory runs the same validator, so a bad reload
/// would throw out of the configuration's change callback (on the file watcher's thread) and leave the monitor no value,
/// where we want one log line and the last good tiers kept. <see cref="SampleOptions"/> is therefore bound with no change
/// token (the start-up snapshot) and this class reads the reloaded configuration itself.
/// </remarks>
internal sealed partial class BudgetReload : IHostedService, IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly IValidateOptions<SampleOptions>[] _validators;
    private readonly BudgetTiers _tiers;
    private readonly BudgetService _budget;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private IDisposable? _subscription;

    public BudgetReload(
        IConfiguration configuration, IEnumerable<IValidateOptions<SampleOptions>> validators, BudgetTiers tiers, BudgetService budget, ILogger<BudgetReload> logger)
    {
        _configuration = configuration;
        _validators = [.. validators];
        _tiers = tiers;
        _budget = budget;
        _logger = logger;
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

    /// <summary>Applies the configuration as it is now, or refuses it (and keeps the tiers) when the validator finds errors.</summary>
    internal void Reload()
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

        var next = new BudgetTiers(options.Budget);
        lock (_gate)
        {
            // Policies dropped from the configuration stay known, so a request that read the old tiers just before the
            // swap still finds its policy; no new request is sent to them.
            var names = next.Policies.Select(static policy => policy.Name).ToHashSet(StringComparer.Ordinal);
            _budget.ReplacePolicies([.. next.Policies, .. _tiers.Policies.Where(policy => !names.Contains(policy.Name))]);
            _tiers.ReplaceWith(next);
        }

        LogReloaded(_logger, next.Policies.Count);
    }

    [LoggerMessage(EventId = 140, Level = LogLevel.Warning, Message = "The reloaded configuration was refused and the budget tiers stay as they were; errors ({Count}): {Errors}")]
    private static partial void LogRefused(ILogger logger, int count, string errors);

    [LoggerMessage(EventId = 141, Level = LogLevel.Information, Message = "The budget tiers were reloaded ({Count} policies).")]
    private static partial void LogReloaded(ILogger logger, int count);
}
