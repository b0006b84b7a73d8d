using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Okome.Caching.Keys;

namespace Okome.Benchmarks.Caching;

/// <summary>
/// The key of a typical chat request (model, three messages, temperature 0, max_tokens): OKOME's canonical
/// <see cref="CacheKeyBuilder.Build"/> against SHA-256 of the raw body. The baseline is <b>naive</b>: it hashes bytes,
/// so member order, whitespace, escapes and number spellings change its key, it ignores no field (<c>stream</c>,
/// <c>user</c>) and covers no namespace, route, tenant or header. It shows what canonicalisation costs, not a peer.
/// </summary>
[MemoryDiagnoser]
public class CacheKeyBuildingBenchmarks
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """
        {"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant that answers briefly."},{"role":"user","content":"What is the capital of France?"},{"role":"assistant","content":"Paris."}],"temperature":0,"max_tokens":256,"stream":true,"user":"u-1234"}
        """);

    private readonly CacheKeyBuilder _builder = new(new CacheKeyPolicy());
    private readonly CacheKeyRequest _request = new("chat", 0, "POST", "/v1/chat/completions", Body) { Model = "gpt-4o-mini", Tenant = "tenant-42" };

    /// <summary>Naive baseline: SHA-256 of the raw body bytes into a stack buffer.</summary>
    [Benchmark(Baseline = true)]
    public byte Sha256_RawBody()
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Body, hash);
        return hash[0];
    }

    /// <summary>OKOME: the canonical key (JSON canonicalised, ignored fields left out, XxHash128 of the tagged parts).</summary>
    [Benchmark]
    public UInt128 Okome_CacheKeyBuilder_Build() => _builder.Build(_request).Hash;
}
