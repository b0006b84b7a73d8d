using Microsoft.Extensions.Options;
using Okome.Planner.Canary;
using Okome.Planner.Decisions;

namespace Okome.Planner.Execution;

/// <summary>
/// Checks <see cref="PlanExecutorOptions"/> and lists every error, each starting with the option's name: what
/// <see cref="PlanExecutor"/>'s constructor runs (through <c>OptionsValidation.ThrowIfInvalid</c>) and what
/// <c>AddOkomePlanner</c> runs at start-up. Hand-written: the rules are open-ended ("positive", "unique labels"), which data
/// annotations say less clearly.
/// </summary>
internal sealed class PlanExecutorOptionsValidator : IValidateOptions<PlanExecutorOptions>
{
    /// <summary>The validator (it holds no state).</summary>
    public static readonly PlanExecutorOptionsValidator Instance = new();

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PlanExecutorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Planner is null)
        {
            errors.Add($"{nameof(PlanExecutorOptions.Planner)} must not be null.");
        }
        else if (PlannerPolicyValidator.Instance.Validate(name, options.Planner) is { Failed: true } planner)
        {
            errors.AddRange(planner.Failures.Select(static failure => $"{nameof(PlanExecutorOptions.Planner)}.{failure}"));
        }

        if (options.Canary is not null && CanaryOptionsValidator.Instance.Validate(name, options.Canary) is { Failed: true } canary)
        {
            errors.AddRange(canary.Failures.Select(static failure => $"{nameof(PlanExecutorOptions.Canary)}.{failure}"));
        }

        if (string.IsNullOrEmpty(options.CacheName) || !options.CacheName.All(static c => c is > ' ' and < (char)0x7F))
        {
            errors.Add($"{nameof(PlanExecutorOptions.CacheName)} must be printable ASCII without spaces.");
        }

        if (options.UpstreamErrorRetryAfter < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{nameof(PlanExecutorOptions.UpstreamErrorRetryAfter)} must be at least one second.");
        }

        UpstreamPools.Validate(errors, nameof(PlanExecutorOptions.StableHosts), options.StableHosts);
        UpstreamPools.Validate(errors, nameof(PlanExecutorOptions.CanaryHosts), options.CanaryHosts);
        if (options.Tries is < 1 or > HostPool.MaxHosts)
        {
            errors.Add($"{nameof(PlanExecutorOptions.Tries)} must be from 1 to {HostPool.MaxHosts}.");
        }

        if (options.ConnectTimeout != Timeout.InfiniteTimeSpan && options.ConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(PlanExecutorOptions.ConnectTimeout)} must be positive or Timeout.InfiniteTimeSpan.");
        }

        if (options.NextUpstreamTimeout < TimeSpan.Zero)
        {
            errors.Add($"{nameof(PlanExecutorOptions.NextUpstreamTimeout)} must not be negative (zero: no limit).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
