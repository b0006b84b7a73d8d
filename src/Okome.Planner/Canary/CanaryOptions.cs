namespace Okome.Planner.Canary;

/// <summary>
/// The canary split's settings. <see cref="CanarySplit"/> validates them in its constructor and keeps a private copy.
/// </summary>
public sealed class CanaryOptions
{
    /// <summary>The default override header name.</summary>
    public const string DefaultOverrideHeaderName = "X-OKOME-Upstream";

    /// <summary>The percentage of attribute values sent to the canary by the hash split, from 0 (never) to 100 (always).</summary>
    /// <value>Default 0.</value>
    public double Percent { get; set; }

    /// <summary>Which attribute is hashed.</summary>
    /// <value>Default <see cref="CanarySplitBy.Tenant"/>.</value>
    public CanarySplitBy SplitBy { get; set; } = CanarySplitBy.Tenant;

    /// <summary>
    /// The seed of the hash: change it to draw a new, independent split (another experiment) over the same attribute values.
    /// </summary>
    /// <value>Default 0.</value>
    public long Seed { get; set; }

    /// <summary>
    /// Whether the override header (<c>canary</c> or <c>stable</c>, case-insensitive) decides before everything else. Other
    /// values are ignored. Turn it off where clients are untrusted and the header is not stripped by the gateway.
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool AllowHeaderOverride { get; set; } = true;

    /// <summary>The override header's name, for the executor that reads it.</summary>
    /// <value>Default <see cref="DefaultOverrideHeaderName"/>.</value>
    public string OverrideHeaderName { get; set; } = DefaultOverrideHeaderName;

    /// <summary>Attribute values always sent to the canary (after the override header). Compared ordinally.</summary>
    public ISet<string> AllowList { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Attribute values never sent to the canary by the split (after the override header). Must not overlap <see cref="AllowList"/>.</summary>
    public ISet<string> DenyList { get; } = new HashSet<string>(StringComparer.Ordinal);
}
