using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Caching.Streaming;
using Okome.Caching.Tests.Stores;
using Okome.Testing;

namespace Okome.Caching.Tests.Caching;

public sealed class RedisResponseCacheTests : ResponseCacheContract, IAsyncDisposable
{
    private readonly RedisNodes<ResponseCache> _nodes;

    // Each node has a connection of its own, as a separate process would.
    public RedisResponseCacheTests()
        => _nodes = new(connection => ResponseCache.CreateRedis(connection, Options(), Time, NullLoggerFactory.Instance, null));

    public ValueTask DisposeAsync() => _nodes.DisposeAsync();

    internal override Task<ResponseCache> CacheAsync(int node = 0) => _nodes.NodeAsync(node);

    [Fact]
    public async Task GetOrCreateAsync_HoldersReadersLeaveAndTheDrainRunsOut_AFollowerOnAnotherNodeFails()
    {
        var upstream = new FakeUpstream();
        var chunks = Channel.CreateUnbounded<string>();
        var ended = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = new CacheRequest(TestEntries.NewKey());

        var holder = await (await CacheAsync(0)).GetOrCreateAsync(request, upstream.Streaming(chunks, ended), default);
        await chunks.Writer.WriteAsync("data: a\n\n");
        var holderReader = holder.Body.GetAsyncEnumerator();
        (await holderReader.MoveNextAsync()).Should().BeTrue();
        var follower = await StartReadingAsync(await CacheAsync(1), request, upstream.Streaming(Channel.CreateUnbounded<string>()));
        await WaitUntilAsync(() => follower.Chunks.Count == 1);
        await holderReader.DisposeAsync();
        holder.Abandon();
        Time.Advance(Options().AbandonedStreamDrain);

        // The holder cannot see who follows its mirror: a follower does not keep the upstream call going past the drain.
        (await ended.Task).Should().BeFalse();
        await follower.Done.Invoking(t => t).Should().ThrowAsync<UpstreamStreamException>();
        follower.Chunks.Should().Equal("data: a\n\n");
        upstream.Calls.Should().Be(1);
    }
}
