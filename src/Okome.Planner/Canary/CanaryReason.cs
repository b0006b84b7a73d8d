namespace Okome.Planner.Canary;

/// <summary>Why <see cref="CanarySplit"/> chose an upstream.</summary>
internal enum CanaryReason
{
    /// <summary>The weighted split by the hash of the attribute.</summary>
    Split = 0,

    /// <summary>The override header named the upstream.</summary>
    Override = 1,

    /// <summary>The attribute is on the allow-list (always canary).</summary>
    AllowList = 2,

    /// <summary>The attribute is on the deny-list (never canary).</summary>
    DenyList = 3,

    /// <summary>The request has no value for the chosen attribute: stable.</summary>
    MissingAttribute = 4,
}
