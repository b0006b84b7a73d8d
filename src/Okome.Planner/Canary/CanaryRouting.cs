namespace Okome.Planner.Canary;

/// <summary>
/// The canary split in force: none (everything stable) or one <see cref="CanarySplit"/>, replaced whole when the options
/// change (<c>IOptionsMonitor&lt;PlannerServiceOptions&gt;</c>), so a request reads one consistent split. Thread-safe.
/// </summary>
internal sealed class CanaryRouting
{
    private volatile CanarySplit? _split;

    /// <summary>Creates the routing.</summary>
    /// <param name="options">The split's settings (validated and copied); null sends everything to the stable upstream.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The settings are invalid; it lists every error.</exception>
    public CanaryRouting(CanaryOptions? options) => _split = options is null ? null : new CanarySplit(options);

    /// <summary>The split in force, or null when there is none.</summary>
    public CanarySplit? Split => _split;

    /// <summary>Chooses the upstream for a request: the split's choice, stable when there is no split.</summary>
    /// <param name="request">The request's attributes.</param>
    /// <returns>The upstream.</returns>
    public UpstreamChoice Choose(in CanaryRequest request) => _split?.Choose(request).Upstream ?? UpstreamChoice.Stable;

    /// <summary>Puts new settings in force; invalid settings throw and the split in force stays.</summary>
    /// <param name="options">The new settings (validated and copied); null sends everything to the stable upstream.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The settings are invalid; it lists every error.</exception>
    public void Replace(CanaryOptions? options) => _split = options is null ? null : new CanarySplit(options);
}
