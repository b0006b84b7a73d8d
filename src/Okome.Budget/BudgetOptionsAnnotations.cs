using Microsoft.Extensions.Options;

namespace Okome.Budget;

/// <summary>The data annotations of <see cref="BudgetOptions"/>, checked by code the options source generator writes (no reflection).</summary>
[OptionsValidator]
internal sealed partial class BudgetOptionsAnnotations : IValidateOptions<BudgetOptions>;
