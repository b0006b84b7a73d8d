namespace Okome.Gateway.Edge;

/// <summary>What the gateway learnt about one request, for its access line: the partition and the forwarding facts.</summary>
internal sealed class EdgeFeature
{
    /// <summary>The budget partition (hashed API key).</summary>
    public string Partition { get; set; } = ApiKeys.Anonymous;

    /// <summary>The instance (<c>host:port</c>) that answered, or null.</summary>
    public string? Destination { get; set; }

    /// <summary>The status the last instance tried answered with (0: none answered).</summary>
    public int UpstreamStatus { get; set; }

    /// <summary>How many instances were tried.</summary>
    public int Tries { get; set; }

    /// <summary>The key hash of a cached route's entry.</summary>
    public string? KeyHash { get; set; }
}
