namespace Okome.Planner.Sample.Upstream;

/// <summary>The upstream routes the service calls, relative to an OpenAI-compatible base URL (<c>…/v1</c>).</summary>
internal static class UpstreamPaths
{
    /// <summary>Chat Completions.</summary>
    public const string ChatCompletions = "chat/completions";

    /// <summary>Legacy text completions.</summary>
    public const string Completions = "completions";

    /// <summary>Embeddings.</summary>
    public const string Embeddings = "embeddings";
}
