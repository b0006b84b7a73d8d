using System.Globalization;
using Microsoft.Extensions.Options;

namespace Okome.Budget;

/// <summary>
/// Checks <see cref="BudgetOptions"/> and lists every error at once: the ranges of the data annotations on each property
/// (<see cref="BudgetOptionsAnnotations"/>, generated), then what annotations cannot say (policy names, per-policy modes).
/// </summary>
internal sealed class BudgetOptionsValidator : IValidateOptions<BudgetOptions>
{
    private static readonly BudgetOptionsAnnotations Annotations = new();

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, BudgetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new ValidateOptionsResultBuilder();
        result.AddResult(Annotations.Validate(name, options));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var policy in options.Policies)
        {
            if (policy is null)
            {
                result.AddError("BudgetOptions.Policies must not contain null.");
            }
            else if (!names.Add(policy.Name))
            {
                result.AddError(Format("BudgetOptions.Policies has two policies named '{0}'.", policy.Name));
            }
        }

        foreach (var pair in options.PolicyFailureModes)
        {
            if (!Enum.IsDefined(pair.Value))
            {
                result.AddError(Format("BudgetOptions.PolicyFailureModes['{0}'] is not a known failure mode.", pair.Key));
            }
        }

        return result.Build();
    }

    private static string Format(string format, object? value) => string.Format(CultureInfo.InvariantCulture, format, value);
}
