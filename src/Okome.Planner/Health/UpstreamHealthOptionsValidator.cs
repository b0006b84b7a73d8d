using Microsoft.Extensions.Options;

namespace Okome.Planner.Health;

/// <summary>
/// Checks <see cref="UpstreamHealthOptions"/> and lists every error, each starting with the option's name: what
/// <c>UpstreamHealthMonitor.Create…</c> runs (through <c>OptionsValidation.ThrowIfInvalid</c>) and what
/// <c>AddOkomePlannerHealth</c> runs at start-up.
/// </summary>
internal sealed class UpstreamHealthOptionsValidator : IValidateOptions<UpstreamHealthOptions>
{
    /// <summary>The validator (it holds no state).</summary>
    public static readonly UpstreamHealthOptionsValidator Instance = new();

    /// <summary>The largest <see cref="UpstreamHealthOptions.Rise"/> and <see cref="UpstreamHealthOptions.Fall"/>; the counters stop there.</summary>
    internal const int MaxThreshold = 1000;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, UpstreamHealthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Rise is < 1 or > MaxThreshold)
        {
            errors.Add($"{nameof(UpstreamHealthOptions.Rise)} must be between 1 and {MaxThreshold}.");
        }

        if (options.Fall is < 1 or > MaxThreshold)
        {
            errors.Add($"{nameof(UpstreamHealthOptions.Fall)} must be between 1 and {MaxThreshold}.");
        }

        if (options.ProbeInterval < TimeSpan.FromMilliseconds(100) || options.ProbeInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"{nameof(UpstreamHealthOptions.ProbeInterval)} must be between 100 milliseconds and 1 hour.");
        }

        if (options.ProbeTimeout <= TimeSpan.Zero || options.ProbeTimeout > options.ProbeInterval)
        {
            errors.Add($"{nameof(UpstreamHealthOptions.ProbeTimeout)} must be positive and not longer than {nameof(UpstreamHealthOptions.ProbeInterval)}.");
        }

        if (string.IsNullOrEmpty(options.KeyPrefix) || options.KeyPrefix.Length > 100
            || options.KeyPrefix.Any(static c => c is '{' or '}' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            errors.Add($"{nameof(UpstreamHealthOptions.KeyPrefix)} must be 1 to 100 printable characters without spaces or braces.");
        }

        UpstreamPools.Validate(errors, nameof(UpstreamHealthOptions.StableHosts), options.StableHosts);
        UpstreamPools.Validate(errors, nameof(UpstreamHealthOptions.CanaryHosts), options.CanaryHosts);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
