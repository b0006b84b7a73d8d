namespace Okome.Planner.Sample;

/// <summary>The service's configuration, bound from the <c>Okome</c> section.</summary>
public sealed class SampleOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Okome";

    /// <summary>A StackExchange.Redis connection string; empty means the embedded in-memory stores.</summary>
    public string? Redis { get; set; }

    /// <summary>The upstream settings.</summary>
    public UpstreamOptions Upstream { get; set; } = new();

    /// <summary>Where requests go.</summary>
    public sealed class UpstreamOptions
    {
        /// <summary>An OpenAI-compatible base URL (for example <c>http://127.0.0.1:9000/v1</c>); empty means the built-in simulator.</summary>
        public string? BaseUrl { get; set; }
    }
}
