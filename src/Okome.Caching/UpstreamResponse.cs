namespace Okome.Caching;

/// <summary>
/// What an <see cref="UpstreamFactory"/> returns: the upstream's status, headers and body. A streamed body is a
/// sequence of chunks forwarded as they arrive; the cache copies each chunk, so the producer may reuse its buffer
/// once it is asked for the next one.
/// </summary>
public sealed class UpstreamResponse
{
    /// <summary>Creates a streamed response.</summary>
    /// <param name="statusCode">The status code, 100 to 599.</param>
    /// <param name="headers">The response headers.</param>
    /// <param name="body">The body, chunk by chunk, in the framing the upstream produced.</param>
    /// <exception cref="ArgumentNullException"><paramref name="headers"/> or <paramref name="body"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="statusCode"/> is not 100 to 599.</exception>
    public UpstreamResponse(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, IAsyncEnumerable<ReadOnlyMemory<byte>> body)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(body);
        StatusCode = statusCode;
        Headers = headers;
        Body = body;
        IsStreamed = true;
    }

    private UpstreamResponse(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body)
        : this(statusCode, headers, Single(body))
    {
        IsStreamed = false;
    }

    /// <summary>The status code.</summary>
    public int StatusCode { get; }

    /// <summary>The response headers.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The body, chunk by chunk.</summary>
    public IAsyncEnumerable<ReadOnlyMemory<byte>> Body { get; }

    /// <summary>Whether the body was streamed (a replay streams it back chunk by chunk).</summary>
    public bool IsStreamed { get; }

    /// <summary>Creates a response whose whole body is known (not streamed).</summary>
    /// <param name="statusCode">The status code, 100 to 599.</param>
    /// <param name="headers">The response headers.</param>
    /// <param name="body">The body.</param>
    /// <returns>The response.</returns>
    public static UpstreamResponse FromBody(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body)
        => new(statusCode, headers, body);

    /// <summary>The first value of a header (names compared case-insensitively), or null.</summary>
    internal string? Header(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Single(ReadOnlyMemory<byte> body)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield return body;
    }
}
