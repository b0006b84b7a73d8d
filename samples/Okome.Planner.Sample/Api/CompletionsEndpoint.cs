using Okome.Planner.Sample.Upstream;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// One of the two OpenAI generation endpoints the chat path serves: Chat Completions and legacy text completions. They share
/// every piece (key, budget, planner, streaming, assembly of a non-streamed answer) and differ only in their route, their
/// cache namespace, the upstream route and how the body is validated.
/// </summary>
internal sealed class CompletionsEndpoint
{
    /// <summary><c>POST /v1/chat/completions</c>.</summary>
    public static readonly CompletionsEndpoint Chat = new(ChatCompletionsHandler.Route, ChatPlannedRequestBuilder.CacheNamespace, UpstreamPaths.ChatCompletions, isText: false);

    /// <summary><c>POST /v1/completions</c> (legacy text completions).</summary>
    public static readonly CompletionsEndpoint Text = new("/v1/completions", "completions", UpstreamPaths.Completions, isText: true);

    private readonly bool _isText;

    private CompletionsEndpoint(string route, string cacheNamespace, string upstreamPath, bool isText)
    {
        Route = route;
        CacheNamespace = cacheNamespace;
        UpstreamPath = upstreamPath;
        _isText = isText;
    }

    /// <summary>The service's route.</summary>
    public string Route { get; }

    /// <summary>The cache namespace of its answers (bumped on its own).</summary>
    public string CacheNamespace { get; }

    /// <summary>The upstream route (<see cref="UpstreamPaths"/>).</summary>
    public string UpstreamPath { get; }

    /// <summary>Validates a body of this endpoint (never throws).</summary>
    public bool TryParse(ReadOnlyMemory<byte> body, out ChatRequest request, out RequestError error)
    {
        if (!_isText)
        {
            return ChatRequestParser.TryParse(body, out request, out error);
        }

        if (!CompletionsRequestParser.TryParse(body, out request, out error))
        {
            return false;
        }

        request = request with { Endpoint = this };
        return true;
    }
}
