namespace Okome.Caching.Freshness;

/// <summary>
/// The freshness calculators of one cache: the default policy's and one per namespace with a policy of its own. Immutable:
/// a reload of <see cref="ResponseCacheOptions"/> builds a new set and the cache swaps it in whole, so a request uses one
/// policy from start to end, and an entry keeps the lifetime it was stored with.
/// </summary>
internal sealed class FreshnessCalculators
{
    private readonly Dictionary<string, FreshnessCalculator> _byNamespace = new(StringComparer.Ordinal);
    private readonly FreshnessCalculator _default;

    /// <summary>Builds the calculators of <see cref="ResponseCacheOptions.Freshness"/> and <see cref="ResponseCacheOptions.Namespaces"/>.</summary>
    /// <param name="options">The options (each policy is validated and copied).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A policy is invalid.</exception>
    public FreshnessCalculators(ResponseCacheOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _default = new FreshnessCalculator(options.Freshness, timeProvider);
        foreach (var (name, policy) in options.Namespaces)
        {
            _byNamespace[name] = new FreshnessCalculator(policy, timeProvider);
        }
    }

    /// <summary>The calculator of a namespace: its own policy's, else the default one.</summary>
    /// <param name="namespace">The namespace.</param>
    /// <returns>The calculator.</returns>
    public FreshnessCalculator For(string @namespace)
        => _byNamespace.Count > 0 && _byNamespace.TryGetValue(@namespace, out var calculator) ? calculator : _default;
}
