using Microsoft.Extensions.Options;

namespace Okome.Gateway.Caching;

/// <summary>The GET routes the operator marked cacheable (<c>Gateway:CachedRoutes</c>): exact paths and <c>/…/*</c> prefixes.</summary>
internal sealed class CachedRoutes
{
    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly string[] _prefixes;

    public CachedRoutes(IOptions<GatewayOptions> options)
    {
        var prefixes = new List<string>();
        foreach (var route in options.Value.CachedRoutes)
        {
            if (route.EndsWith("/*", StringComparison.Ordinal))
            {
                prefixes.Add(route[..^1]);
            }
            else
            {
                _exact.Add(route);
            }
        }

        _prefixes = [.. prefixes];
    }

    /// <summary>Whether any route is cached.</summary>
    public bool Any => _exact.Count > 0 || _prefixes.Length > 0;

    /// <summary>Whether a GET or HEAD of <paramref name="path"/> is served through the cache.</summary>
    public bool Matches(string method, PathString path)
    {
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) || !path.HasValue)
        {
            return false;
        }

        var value = path.Value!;
        if (_exact.Contains(value))
        {
            return true;
        }

        foreach (var prefix in _prefixes)
        {
            if (value.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
