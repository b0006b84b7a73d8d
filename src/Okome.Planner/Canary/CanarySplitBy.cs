namespace Okome.Planner.Canary;

/// <summary>Which request attribute the canary split hashes: requests with the same value always go the same way.</summary>
public enum CanarySplitBy
{
    /// <summary>The tenant: a whole tenant is on the canary or not (the default; easiest to reason about).</summary>
    Tenant = 0,

    /// <summary>The user (for example the API key's owner).</summary>
    User = 1,

    /// <summary>The request id: every request is drawn independently (the finest split, but one user sees both upstreams).</summary>
    RequestId = 2,
}
