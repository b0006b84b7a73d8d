using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Diagnostics;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Caching.Tests.Stores;

namespace Okome.Caching.Tests.Caching;

/// <summary>
/// <see cref="ResponseCacheOptions.AbandonedStreamDrain"/> on one node: what is drained, what is cancelled at once, and
/// the counts. The behaviour every store shares is in <see cref="ResponseCacheContract"/>.
/// </summary>
public sealed class AbandonedStreamDrainTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TestMeterFactory _meters = new();
    private readonly MeterListener _listener = new();
    private readonly List<string> _abandoned = [];

    public AbandonedStreamDrainTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Only this test's meter: other tests run in parallel with meters of their own.
            if (instrument.Meter.Scope == _meters && instrument.Name == "okome.cache.stream.abandoned")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            lock (_abandoned)
            {
                _abandoned.Add((string)tags[0].Value!);
            }
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meters.Dispose();
    }

    [Fact]
    public async Task GetOrCreateAsync_DrainZero_CancelsTheUpstreamCallAsSoonAsTheLastReaderLeaves()
    {
        var cache = Cache(TimeSpan.Zero);
        var upstream = new FakeUpstream();
        var chunks = Channel.CreateUnbounded<string>();
        var ended = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = new CacheRequest(TestEntries.NewKey());

        var response = await cache.GetOrCreateAsync(request, upstream.Streaming(chunks, ended), default);
        await chunks.Writer.WriteAsync("data: a\n\n");
        await chunks.Writer.WriteAsync("data: [DONE]\n\n");
        await ResponseCacheContract.ReadThenHangUpAsync(response, chunks: 2);
        chunks.Writer.Complete();

        (await ended.Task).Should().BeFalse("without a drain the last reader's leaving stops the upstream call at once");
        var next = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("again", upstream), default);
        next.Status.Should().Be(CacheStatus.Miss);
        upstream.Calls.Should().Be(2);
        await ResponseCacheContract.WaitUntilAsync(() => Abandoned().Count == 1);
        Abandoned().Should().Equal("cancelled");
    }

    [Fact]
    public async Task GetOrCreateAsync_ResponseThatWillNotBeStored_IsCancelledAtOnceWhenEveryReaderLeft()
    {
        var cache = Cache(TimeSpan.FromSeconds(2));
        var upstream = new FakeUpstream();
        var chunks = Channel.CreateUnbounded<string>();
        var ended = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        var response = await cache.GetOrCreateAsync(new CacheRequest(TestEntries.NewKey()), upstream.Streaming(chunks, ended, cacheControl: "no-store"), default);
        await chunks.Writer.WriteAsync("data: a\n\n");
        await ResponseCacheContract.ReadThenHangUpAsync(response, chunks: 1);

        response.Stored.Should().BeFalse();
        (await ended.Task).Should().BeFalse("draining a response nobody reads and nobody stores would only cost tokens");

        // The flight counts the outcome after the upstream call has ended.
        await ResponseCacheContract.WaitUntilAsync(() => Abandoned().Count == 1);
        Abandoned().Should().Equal("cancelled");
    }

    [Fact]
    public async Task GetOrCreateAsync_AbandonedStreams_AreCountedByWhatBecameOfThem()
    {
        var cache = Cache(TimeSpan.FromSeconds(2));
        var upstream = new FakeUpstream();
        var drained = Channel.CreateUnbounded<string>();
        var drainedEnded = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cut = Channel.CreateUnbounded<string>();
        var cutEnded = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = Channel.CreateUnbounded<string>();

        var first = await cache.GetOrCreateAsync(new CacheRequest(TestEntries.NewKey()), upstream.Streaming(drained, drainedEnded), default);
        await drained.Writer.WriteAsync("data: [DONE]\n\n");
        await ResponseCacheContract.ReadThenHangUpAsync(first, chunks: 1);
        drained.Writer.Complete();
        await drainedEnded.Task;
        await ResponseCacheContract.WaitUntilAsync(() => Abandoned().Count == 1);
        var second = await cache.GetOrCreateAsync(new CacheRequest(TestEntries.NewKey()), upstream.Streaming(cut, cutEnded), default);
        await ResponseCacheContract.ReadThenHangUpAsync(second, chunks: 0);
        _time.Advance(TimeSpan.FromSeconds(2));
        await cutEnded.Task;
        var third = await cache.GetOrCreateAsync(new CacheRequest(TestEntries.NewKey()), upstream.Streaming(read), default);
        await read.Writer.WriteAsync("data: [DONE]\n\n");
        read.Writer.Complete();
        await third.ReadBodyAsync(default);

        await ResponseCacheContract.WaitUntilAsync(() => Abandoned().Count == 2);
        Abandoned().Should().Equal(["stored", "cancelled"], "a stream read to its end is not abandoned");
    }

    private DefaultResponseCache Cache(TimeSpan drain)
    {
        var options = ResponseCacheContract.Options();
        options.AbandonedStreamDrain = drain;
        return new DefaultResponseCache(new InMemoryCacheStore(new InMemoryCacheStoreOptions(), _time), options, _time, NullLoggerFactory.Instance, _meters);
    }

    private List<string> Abandoned()
    {
        lock (_abandoned)
        {
            return [.. _abandoned];
        }
    }
}
