namespace Okome.Caching.Status;

/// <summary>The tokens of <see cref="BypassReason"/> (constant strings: the metric tag and the detail allocate nothing).</summary>
internal static class BypassReasonExtensions
{
    public static string? ToToken(this BypassReason reason) => reason switch
    {
        BypassReason.NoStore => "no-store",
        BypassReason.NonDeterministic => "non-deterministic",
        BypassReason.StoreUnavailable => "store-unavailable",
        _ => null,
    };
}
