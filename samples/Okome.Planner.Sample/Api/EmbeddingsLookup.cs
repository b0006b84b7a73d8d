using Okome.Caching;

namespace Okome.Planner.Sample.Api;

/// <summary>One distinct input of an embeddings request: its cache request and, once looked up, its answer.</summary>
/// <param name="Input">The first index of the input in the request.</param>
/// <param name="Request">The input's cache request.</param>
internal sealed record EmbeddingsLookup(int Input, CacheRequest Request)
{
    /// <summary>The cache's answer (a hit, a joined call, or this request's batch).</summary>
    public Task<CacheResponse>? Answer { get; set; }

    /// <summary>The input's embedding, raw JSON.</summary>
    public byte[]? Embedding { get; set; }

    /// <summary>The input's tokens.</summary>
    public long Tokens { get; set; }
}
