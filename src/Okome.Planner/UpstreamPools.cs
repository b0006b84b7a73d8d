namespace Okome.Planner;

/// <summary>The host lists of the upstream pools, built and checked the same way for the executor and the health monitor.</summary>
internal static class UpstreamPools
{
    /// <summary>The hosts of <paramref name="pool"/>: one per label, or the pool's one unnamed host when there are none.</summary>
    public static UpstreamHost[] Build(UpstreamChoice pool, IList<string>? labels)
    {
        if (labels is null || labels.Count == 0)
        {
            return [new UpstreamHost(pool, 0, null)];
        }

        var hosts = new UpstreamHost[labels.Count];
        for (var i = 0; i < hosts.Length; i++)
        {
            hosts[i] = new UpstreamHost(pool, i, labels[i]);
        }

        return hosts;
    }

    /// <summary>Adds an error naming <paramref name="option"/> when a label is invalid or repeated.</summary>
    public static void Validate(List<string> errors, string option, IList<string>? labels)
    {
        if (labels is null)
        {
            errors.Add($"{option} must not be null (empty means one unnamed host).");
            return;
        }

        if (labels.Count > 64)
        {
            errors.Add($"{option} may list at most 64 hosts.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < labels.Count; i++)
        {
            if (!UpstreamHost.IsValidLabel(labels[i]))
            {
                errors.Add($"{option}[{i}] must be 1 to 100 printable ASCII characters without spaces, '/', '{{' or '}}'.");
            }
            else if (!seen.Add(labels[i]))
            {
                errors.Add($"{option}[{i}] repeats the label '{labels[i]}'; labels must be unique within a pool.");
            }
        }
    }

    /// <summary>Whether two host lists are the same hosts in the same order.</summary>
    public static bool SameHosts(UpstreamHost[] a, UpstreamHost[] b) => a.AsSpan().SequenceEqual(b);
}
