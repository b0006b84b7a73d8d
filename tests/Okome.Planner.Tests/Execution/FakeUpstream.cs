using System.Collections.Concurrent;
using System.Text;
using Okome.Caching;
using Okome.Planner.Execution;

namespace Okome.Planner.Tests.Execution;

/// <summary>A test upstream: counts calls, records which upstream each went to, and answers as the test says.</summary>
internal sealed class FakeUpstream
{
    private int _calls;

    public FakeUpstream(Func<UpstreamChoice, CancellationToken, ValueTask<UpstreamResponse>> handler) => HostHandler = (host, ct) => handler(host.Pool, ct);

    /// <summary>Answers by host (pool, position, label).</summary>
    public static FakeUpstream ByHost(Func<UpstreamHost, CancellationToken, ValueTask<UpstreamResponse>> handler)
        => new(static (_, _) => default) { HostHandler = handler };

    public Func<UpstreamHost, CancellationToken, ValueTask<UpstreamResponse>> HostHandler { get; set; }

    /// <summary>The hosts called, in order.</summary>
    public ConcurrentQueue<UpstreamHost> Hosts { get; } = new();

    public int Calls => Volatile.Read(ref _calls);

    public ConcurrentQueue<UpstreamChoice> Targets { get; } = new();

    public ConcurrentQueue<UpstreamCall> CallInfos { get; } = new();

    public PlannerUpstream Delegate => (upstream, call, cancellationToken) =>
    {
        Interlocked.Increment(ref _calls);
        Targets.Enqueue(upstream.Pool);
        Hosts.Enqueue(upstream);
        CallInfos.Enqueue(call);
        return HostHandler(upstream, cancellationToken);
    };

    public static KeyValuePair<string, string>[] TextHeaders { get; } = [new("Content-Type", "text/event-stream")];

    /// <summary>Streams the given chunks at once.</summary>
    public static FakeUpstream Chunks(params string[] chunks)
        => new((_, _) => ValueTask.FromResult(new UpstreamResponse(200, TextHeaders, Stream(chunks))));

    /// <summary>Streams what the test writes to a new <see cref="ControlledStream"/> per call.</summary>
    public static FakeUpstream Controlled(ConcurrentQueue<ControlledStream> streams)
        => new((_, _) =>
        {
            var stream = new ControlledStream();
            streams.Enqueue(stream);
            return ValueTask.FromResult(new UpstreamResponse(200, TextHeaders, stream.ReadAsync(CancellationToken.None)));
        });

    /// <summary>Throws at once.</summary>
    public static FakeUpstream Throwing(Exception exception) => new((_, _) => ValueTask.FromException<UpstreamResponse>(exception));

    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> Stream(string[] chunks)
    {
        await Task.Yield();
        foreach (var chunk in chunks)
        {
            yield return Encoding.UTF8.GetBytes(chunk);
        }
    }
}
