using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace Okome.Caching.Tests.Caching;

/// <summary>
/// An upstream for tests: counts calls, and streams chunks that the test releases one by one (or all at once),
/// so a test decides exactly when each token "arrives".
/// </summary>
internal sealed class FakeUpstream
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Answers every call with the same body, immediately.</summary>
    public static UpstreamFactory Fixed(string body, FakeUpstream counter, string? cacheControl = null, int status = 200)
        => (_, _) =>
        {
            Interlocked.Increment(ref counter._calls);
            return ValueTask.FromResult(UpstreamResponse.FromBody(status, Headers(cacheControl), Encoding.UTF8.GetBytes(body)));
        };

    /// <summary>Answers after <paramref name="gate"/> completes (so many callers can pile up first).</summary>
    public UpstreamFactory Gated(Task gate, string body)
        => async (_, cancellationToken) =>
        {
            Interlocked.Increment(ref _calls);
            await gate.WaitAsync(cancellationToken);
            return UpstreamResponse.FromBody(200, Headers(null), Encoding.UTF8.GetBytes(body));
        };

    /// <summary>Streams the chunks written to <paramref name="chunks"/>; completing the writer ends the stream, completing it with an exception cuts it off.</summary>
    public UpstreamFactory Streaming(Channel<string> chunks)
        => (_, _) =>
        {
            Interlocked.Increment(ref _calls);
            return ValueTask.FromResult(new UpstreamResponse(200, Headers(null), Read(chunks.Reader, CancellationToken.None)));
        };

    /// <summary>
    /// Like <see cref="Streaming(Channel{string})"/>, and tells how the body's enumeration ended: <paramref name="ended"/>
    /// becomes true when the cache read it to its end, false when the cache stopped reading it (cancelled or disposed early).
    /// </summary>
    public UpstreamFactory Streaming(Channel<string> chunks, TaskCompletionSource<bool> ended, string? cacheControl = null)
        => (_, _) =>
        {
            Interlocked.Increment(ref _calls);
            return ValueTask.FromResult(new UpstreamResponse(200, Headers(cacheControl), Observed(chunks.Reader, ended, CancellationToken.None)));
        };

    /// <summary>Throws on every call.</summary>
    public UpstreamFactory Failing()
        => (_, _) =>
        {
            Interlocked.Increment(ref _calls);
            throw new HttpRequestException("upstream down");
        };

    public static KeyValuePair<string, string>[] Headers(string? cacheControl)
        => cacheControl is null
            ? [new("content-type", "text/event-stream")]
            : [new("content-type", "text/event-stream"), new("cache-control", cacheControl)];

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Observed(ChannelReader<string> reader, TaskCompletionSource<bool> ended, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            await foreach (var chunk in reader.ReadAllAsync(cancellationToken))
            {
                yield return Encoding.UTF8.GetBytes(chunk);
            }

            ended.TrySetResult(true);
        }
        finally
        {
            ended.TrySetResult(false);
        }
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Read(ChannelReader<string> reader, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var chunk in reader.ReadAllAsync(cancellationToken))
        {
            yield return Encoding.UTF8.GetBytes(chunk);
        }
    }
}
