namespace Okome.Caching.Streaming;

/// <summary>The status and headers of a response whose body may still be arriving.</summary>
internal sealed record ResponseHead(int StatusCode, IReadOnlyList<KeyValuePair<string, string>> Headers, bool IsStreamed);
