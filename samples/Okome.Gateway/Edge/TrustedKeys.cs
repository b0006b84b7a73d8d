using Microsoft.Extensions.Options;

namespace Okome.Gateway.Edge;

/// <summary>
/// The trust boundary for the service's control headers: <c>X-OKOME-Priority</c> (load shedding) and
/// <c>X-OKOME-Upstream</c> (canary override) pass only with a key listed in <c>Gateway:TrustedKeys</c>. Keys are kept as
/// their partition hashes, so the comparison never touches the raw secret twice.
/// </summary>
internal sealed class TrustedKeys
{
    /// <summary>The headers only trusted clients may send.</summary>
    public static readonly string[] ControlHeaders = ["X-OKOME-Priority", "X-OKOME-Upstream"];

    private readonly HashSet<string> _partitions;

    public TrustedKeys(IOptions<GatewayOptions> options)
        => _partitions = new HashSet<string>(options.Value.TrustedKeys.Select(static key => ApiKeys.OfKey(key.AsSpan().Trim())), StringComparer.Ordinal);

    /// <summary>Whether the request's bearer key is trusted.</summary>
    public bool IsTrusted(string partition) => partition != ApiKeys.Anonymous && _partitions.Contains(partition);
}
