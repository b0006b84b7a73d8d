using Okome.Caching;

namespace Okome.Planner.Sample.Upstream;

/// <summary>One OpenAI-compatible upstream: a real GPU host over HTTP, or the built-in simulator.</summary>
internal interface IChatUpstream
{
    /// <summary>A name for logs and <c>/health</c> (the base URL or <c>simulator</c>); never holds a secret.</summary>
    string Name { get; }

    /// <summary>
    /// Calls <c>POST {path}</c> (<see cref="UpstreamPaths"/>: chat completions, legacy completions, embeddings) with
    /// <paramref name="body"/> (a completion's already forced to stream). Returns once the status and headers are known; the
    /// body then streams chunk by chunk, each chunk an owned copy. Connection errors and timeouts throw; an upstream error
    /// status is returned as it is.
    /// </summary>
    ValueTask<UpstreamResponse> PostAsync(string path, ReadOnlyMemory<byte> body, string? ifNoneMatch, CancellationToken cancellationToken);

    /// <summary>The model list (<c>GET /models</c>) as the upstream answers it; connection errors throw.</summary>
    ValueTask<ModelList> ListModelsAsync(CancellationToken cancellationToken);

    /// <summary>One health probe: whether <c>GET /models</c> answers 2xx within the timeout. Never throws.</summary>
    ValueTask<bool> ProbeAsync(TimeSpan timeout, CancellationToken cancellationToken);
}
