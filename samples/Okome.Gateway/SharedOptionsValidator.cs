using System.Globalization;
using Microsoft.Extensions.Options;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;
using Okome.Planner.Sample.Hosting;

namespace Okome.Gateway;

/// <summary>
/// Validates the keys the gateway shares with the service (<see cref="SharedOptions"/>, section <c>Okome</c>) at start-up,
/// every error listed at once and naming its key, with the service's rules: the edge budget's limits, the named tiers
/// (<c>Okome:Budget:Tiers:{name}:*</c>: a valid name, limits in range, at least one on) and the key map
/// (<c>Okome:Budget:Keys:{hash} = {tier}</c>: a hash as <c>okome key-hash</c> prints it, naming a defined tier). An entry
/// that is not a hash may be a raw API key pasted by mistake: it is never echoed.
/// </summary>
internal sealed class SharedOptionsValidator : IValidateOptions<SharedOptions>
{
    public ValidateOptionsResult Validate(string? name, SharedOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var budget = options.Budget ?? new SharedOptions.BudgetSettings();
        Check(errors, budget.RequestsPerMinute is >= 0 and <= 60_000_000, "Okome:Budget:RequestsPerMinute", budget.RequestsPerMinute, "must be from 0 (off) to 60000000");
        Check(errors, budget.Burst is >= 1 and <= 1_000_000, "Okome:Budget:Burst", budget.Burst, "must be from 1 to 1000000");
        Check(errors, budget.TokensPerDay is >= 0 and <= BudgetLimit.MaxQuota, "Okome:Budget:TokensPerDay", budget.TokensPerDay, "must be from 0 (off) to 2^50");
        Check(errors, budget.MaxConcurrent is >= 0 and <= BudgetLimit.MaxConcurrency, "Okome:Budget:MaxConcurrent", budget.MaxConcurrent, "must be from 0 (off) to 1000000");
        Check(errors, Enum.IsDefined(budget.FailureMode), "Okome:Budget:FailureMode", budget.FailureMode, "must be LocalFallback, FailOpen or FailClosed");
        Check(errors, budget.LocalFallbackShare is > 0 and <= 1, "Okome:Budget:LocalFallbackShare", budget.LocalFallbackShare, "must be above 0 and at most 1");

        BudgetTiers.Validate(errors, budget);
        Check(errors, options.StoreTimeoutMs is null or (>= 10 and <= 60_000), "Okome:StoreTimeoutMs", options.StoreTimeoutMs, "must be from 10 to 60000 (milliseconds)");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(List<string> errors, bool ok, string key, object? value, string rule)
    {
        if (!ok)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key} {rule} (was {value})"));
        }
    }
}
