using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;
using Okome.Caching.Status;
using Okome.Caching.Streaming;
using Okome.Caching.Tests.Stores;

namespace Okome.Caching.Tests.Caching;

/// <summary>What the cache does, whatever store it runs on.</summary>
public abstract class ResponseCacheContract
{
    internal FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    internal static ResponseCacheOptions Options() => new()
    {
        Freshness = new FreshnessPolicy
        {
            FreshFor = TimeSpan.FromMinutes(5),
            StaleWhileRevalidate = TimeSpan.FromMinutes(1),
            StaleIfError = TimeSpan.FromMinutes(10),
            Jitter = 0,
        },
    };

    /// <summary>A cache as one node sees it; the same <paramref name="node"/> gives the same cache.</summary>
    internal abstract Task<ResponseCache> CacheAsync(int node = 0);

    internal static async Task<string> BodyAsync(CacheResponse response)
        => Encoding.UTF8.GetString(await response.ReadBodyAsync(default));

    [Fact]
    public async Task GetOrCreateAsync_Miss_CallsTheUpstreamOnceThenHits()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());

        var first = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("answer", upstream), default);
        var firstBody = await BodyAsync(first);
        var second = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("other", upstream), default);

        first.Status.Should().Be(CacheStatus.Miss);
        first.Stored.Should().BeTrue();
        firstBody.Should().Be("answer");
        second.Status.Should().Be(CacheStatus.Hit);
        (await BodyAsync(second)).Should().Be("answer");
        upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_TwoHundredConcurrentCallers_OneUpstreamCallAndTheRestCollapsedHits()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var gate = new TaskCompletionSource();
        var request = new CacheRequest(TestEntries.NewKey());

        var callers = Enumerable.Range(0, 200)
            .Select(_ => Task.Run(async () => await cache.GetOrCreateAsync(request, upstream.Gated(gate.Task, "once"), default)))
            .ToArray();

        // Every caller waits on the one call before it may end (on a loaded machine some would otherwise start only after
        // the commit, and read the entry instead of joining).
        await WaitUntilAsync(() => ((DefaultResponseCache)cache).CallersOf(request.Key) == callers.Length);
        gate.SetResult();
        var responses = await Task.WhenAll(callers);

        upstream.Calls.Should().Be(1);
        responses.Count(r => r.Status == CacheStatus.Miss && !r.Collapsed).Should().BeLessThanOrEqualTo(1);
        responses.Count(r => r.Collapsed || r.Status == CacheStatus.Hit).Should().BeGreaterThanOrEqualTo(199);
        responses.Where(r => r.Collapsed).Should().OnlyContain(r => r.Status == CacheStatus.Hit);
        foreach (var response in responses)
        {
            (await BodyAsync(response)).Should().Be("once");
        }
    }

    [Fact]
    public async Task GetOrCreateAsync_JoinerArrivingMidStream_GetsEarlierChunksThenTheRestLive()
    {
        var cache = await CacheAsync();
        var (leader, joiner, _, upstream, request) = await JoinMidStreamAsync(joinerNode: 0);

        upstream.Calls.Should().Be(1);
        joiner.Response.Status.Should().Be(CacheStatus.Hit);
        joiner.Response.Collapsed.Should().BeTrue();
        joiner.Chunks.Should().Equal("data: a\n\n", "data: b\n\n", "data: c\n\n");
        leader.Chunks.Should().Equal(joiner.Chunks);

        var replay = await WaitForHitAsync(cache, request);
        var replayChunks = new List<string>();
        await ReadChunksAsync(replay, replayChunks);
        replay.IsStreamed.Should().BeTrue();
        replayChunks.Should().Equal(leader.Chunks, "a replay keeps the upstream's chunk framing");
    }

    [Fact]
    public async Task GetOrCreateAsync_StreamCutOff_StoresNothingAndTellsTheReaders()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var chunks = Channel.CreateUnbounded<string>();
        var request = new CacheRequest(TestEntries.NewKey());

        var leader = await cache.GetOrCreateAsync(request, upstream.Streaming(chunks), default);
        await chunks.Writer.WriteAsync("data: partial\n\n");
        chunks.Writer.Complete(new IOException("connection reset"));
        var read = () => BodyAsync(leader);

        await read.Should().ThrowAsync<UpstreamStreamException>();
        var next = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("complete", upstream), default);
        next.Status.Should().Be(CacheStatus.Miss, "a cut-off stream leaves no entry behind");
        (await BodyAsync(next)).Should().Be("complete");
        upstream.Calls.Should().Be(2);
    }

    [Fact]
    public async Task GetOrCreateAsync_ReaderHangsUpAfterTheLastBytesBeforeTheUpstreamEnds_TheAnswerIsStillStored()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var chunks = Channel.CreateUnbounded<string>();
        var ended = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = new CacheRequest(TestEntries.NewKey());

        // The upstream sends every byte of its answer, then holds its end of stream; the client reads up to its own end
        // marker and hangs up, as the official OpenAI clients do at [DONE]; only then does the upstream's end arrive.
        var response = await cache.GetOrCreateAsync(request, upstream.Streaming(chunks, ended), default);
        await chunks.Writer.WriteAsync("data: a\n\n");
        await chunks.Writer.WriteAsync("data: [DONE]\n\n");
        var read = await ReadThenHangUpAsync(response, chunks: 2);
        chunks.Writer.Complete();

        (await ended.Task).Should().BeTrue("the cache reads the upstream to its end after the last reader left");
        var replay = await WaitForHitAsync(cache, request);
        var replayChunks = new List<string>();
        await ReadChunksAsync(replay, replayChunks);
        replayChunks.Should().Equal(read);
        upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_EveryReaderLeftAndTheUpstreamDoesNotEndWithinTheDrain_CancelsTheCallAndStoresNothing()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var chunks = Channel.CreateUnbounded<string>();
        var ended = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = new CacheRequest(TestEntries.NewKey());

        var response = await cache.GetOrCreateAsync(request, upstream.Streaming(chunks, ended), default);
        await chunks.Writer.WriteAsync("data: a\n\n");
        await ReadThenHangUpAsync(response, chunks: 1);
        Time.Advance(Options().AbandonedStreamDrain - TimeSpan.FromTicks(1));
        var endedWithinTheDrain = ended.Task.IsCompleted;
        Time.Advance(TimeSpan.FromTicks(1));

        endedWithinTheDrain.Should().BeFalse("within the drain the cache goes on reading the upstream");
        (await ended.Task).Should().BeFalse("past the drain the cache stops the upstream call");

        // The cancelled flight ends its lease and its live stream for other nodes after the upstream call: a request that came
        // sooner could still join the dying flight (and fail) instead of leading a new one.
        await WaitUntilAsync(() => ((DefaultResponseCache)cache).FlightCount == 0);
        var next = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("complete", upstream), default);
        next.Status.Should().Be(CacheStatus.Miss, "an abandoned stream leaves no entry behind");
        (await BodyAsync(next)).Should().Be("complete");
        upstream.Calls.Should().Be(2);
    }

    [Fact]
    public async Task GetOrCreateAsync_CallerJoinsWhileTheStreamDrains_ReadsItToTheEndPastTheDrain()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var chunks = Channel.CreateUnbounded<string>();
        var ended = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = new CacheRequest(TestEntries.NewKey());

        var first = await cache.GetOrCreateAsync(request, upstream.Streaming(chunks, ended), default);
        await chunks.Writer.WriteAsync("data: a\n\n");
        await ReadThenHangUpAsync(first, chunks: 1);
        var joiner = await StartReadingAsync(cache, request, upstream.Streaming(Channel.CreateUnbounded<string>()));
        await WaitUntilAsync(() => joiner.Chunks.Count == 1);
        Time.Advance(Options().AbandonedStreamDrain * 2);
        var endedWhileSomeoneReads = ended.Task.IsCompleted;
        await chunks.Writer.WriteAsync("data: b\n\n");
        chunks.Writer.Complete();
        await joiner.Done;

        endedWhileSomeoneReads.Should().BeFalse("a caller that joined during the drain is a reader: the stream is not abandoned");
        (await ended.Task).Should().BeTrue();
        joiner.Response.Status.Should().Be(CacheStatus.Hit);
        joiner.Chunks.Should().Equal("data: a\n\n", "data: b\n\n");
        (await WaitForHitAsync(cache, request)).Status.Should().Be(CacheStatus.Hit);
        upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_LeadersReadersLeaveWhileAFollowerOnAnotherNodeReads_TheFollowerGetsTheWholeStream()
    {
        var upstream = new FakeUpstream();
        var chunks = Channel.CreateUnbounded<string>();
        var ended = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = new CacheRequest(TestEntries.NewKey());
        var leaderNode = await CacheAsync(0);

        var leader = await leaderNode.GetOrCreateAsync(request, upstream.Streaming(chunks, ended), default);
        await chunks.Writer.WriteAsync("data: a\n\n");
        var leaderReader = leader.Body.GetAsyncEnumerator();
        (await leaderReader.MoveNextAsync()).Should().BeTrue();
        var follower = await StartReadingAsync(await CacheAsync(1), request, upstream.Streaming(Channel.CreateUnbounded<string>()));
        await WaitUntilAsync(() => follower.Chunks.Count == 1);
        await leaderReader.DisposeAsync(); // the leader's only client hangs up mid-stream
        leader.Abandon();
        await chunks.Writer.WriteAsync("data: b\n\n");
        chunks.Writer.Complete();
        await follower.Done;

        (await ended.Task).Should().BeTrue("the upstream ended within the drain");
        follower.Chunks.Should().Equal("data: a\n\n", "data: b\n\n");
        (await WaitForHitAsync(leaderNode, request)).Status.Should().Be(CacheStatus.Hit);
        upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_JoinerOnAnotherNodeMidStream_GetsEarlierChunksThenTheRestLive()
    {
        var (_, joiner, beforeTheEnd, upstream, _) = await JoinMidStreamAsync(joinerNode: 1);

        beforeTheEnd.Should().Be(2, "the joiner reads the chunks produced so far while the leader's upstream is still open");
        upstream.Calls.Should().Be(1);
        joiner.Response.Status.Should().Be(CacheStatus.Hit);
        joiner.Response.Collapsed.Should().BeTrue();
        joiner.Chunks.Should().Equal("data: a\n\n", "data: b\n\n", "data: c\n\n");
    }

    [Fact]
    public async Task GetOrCreateAsync_LeaderOnAnotherNodeCutOff_TheJoinerFailsAndNothingIsStored()
    {
        var joinerNode = await CacheAsync(1);
        var upstream = new FakeUpstream();
        var chunks = Channel.CreateUnbounded<string>();
        var request = new CacheRequest(TestEntries.NewKey());

        var leader = await StartReadingAsync(await CacheAsync(0), request, upstream.Streaming(chunks));
        await chunks.Writer.WriteAsync("data: partial\n\n");
        await WaitUntilAsync(() => leader.Chunks.Count == 1);
        var joiner = await StartReadingAsync(joinerNode, request, upstream.Streaming(Channel.CreateUnbounded<string>()));
        await WaitUntilAsync(() => joiner.Chunks.Count == 1);
        chunks.Writer.Complete(new IOException("connection reset"));

        await leader.Done.Invoking(t => t).Should().ThrowAsync<UpstreamStreamException>();
        await joiner.Done.Invoking(t => t).Should().ThrowAsync<UpstreamStreamException>();
        var next = await joinerNode.GetOrCreateAsync(request, FakeUpstream.Fixed("complete", upstream), default);
        next.Status.Should().Be(CacheStatus.Miss, "a cut-off stream leaves no entry behind on any node");
        (await BodyAsync(next)).Should().Be("complete");
        upstream.Calls.Should().Be(2);
    }

    [Fact]
    public async Task GetOrCreateAsync_OneCallerCancels_TheSharedCallGoesOnForTheOthers()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var gate = new TaskCompletionSource();
        var request = new CacheRequest(TestEntries.NewKey());
        using var cancelled = new CancellationTokenSource();

        var quitter = cache.GetOrCreateAsync(request, upstream.Gated(gate.Task, "shared"), cancelled.Token).AsTask();
        await WaitUntilAsync(() => upstream.Calls > 0);
        var stayer = cache.GetOrCreateAsync(request, upstream.Gated(gate.Task, "shared"), default).AsTask();
        await WaitUntilAsync(() => ((DefaultResponseCache)cache).CallersOf(request.Key) == 2);
        await cancelled.CancelAsync();
        await quitter.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();
        gate.SetResult();

        var response = await stayer;
        (await BodyAsync(response)).Should().Be("shared");
        upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_NonDeterministicRequest_IsBypassedAndNotStored()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey()) { IsDeterministic = false };

        var first = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("sample 1", upstream), default);
        await BodyAsync(first);
        var second = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("sample 2", upstream), default);

        first.Status.Should().Be(CacheStatus.Bypass);
        first.ToCacheStatus("OKOME").Detail.Should().Be("non-deterministic", "a bypass says why");
        first.Stored.Should().BeFalse();
        (await BodyAsync(second)).Should().Be("sample 2");
        upstream.Calls.Should().Be(2);
    }

    [Fact]
    public async Task GetOrCreateAsync_RequestNoStore_IsBypassed()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var key = TestEntries.NewKey();
        await BodyAsync(await cache.GetOrCreateAsync(new CacheRequest(key), FakeUpstream.Fixed("cached", upstream), default));

        var response = await cache.GetOrCreateAsync(
            new CacheRequest(key) { CacheControl = CacheControl.Parse("no-store") }, FakeUpstream.Fixed("direct", upstream), default);

        response.Status.Should().Be(CacheStatus.Bypass);
        response.ToCacheStatus("OKOME").Detail.Should().Be("no-store", "a bypass says why");
        (await BodyAsync(response)).Should().Be("direct");
    }

    [Fact]
    public async Task GetOrCreateAsync_OnlyIfCachedWithNothingStored_Answers504WithoutCallingTheUpstream()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();

        var response = await cache.GetOrCreateAsync(
            new CacheRequest(TestEntries.NewKey()) { CacheControl = CacheControl.Parse("only-if-cached") }, FakeUpstream.Fixed("x", upstream), default);

        response.IsGatewayTimeout.Should().BeTrue();
        response.StatusCode.Should().Be(504);
        upstream.Calls.Should().Be(0);
    }

    [Fact]
    public async Task GetCachedAsync_NeverCallsTheUpstream_HitThenStaleWhileAllowedThen504()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());
        await BodyAsync(await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("answer", upstream), default));

        var fresh = await cache.GetCachedAsync(request, default);
        Time.Advance(TimeSpan.FromMinutes(5.5));
        var revalidatable = await cache.GetCachedAsync(request, default);
        Time.Advance(TimeSpan.FromMinutes(2));
        var errorFallback = await cache.GetCachedAsync(request, default);
        var noCache = await cache.GetCachedAsync(request with { CacheControl = CacheControl.Parse("no-cache") }, default);
        var onlyIfCached = await cache.GetCachedAsync(request with { CacheControl = CacheControl.Parse("only-if-cached") }, default);
        Time.Advance(TimeSpan.FromMinutes(10));
        var tooOld = await cache.GetCachedAsync(request, default);
        var missing = await cache.GetCachedAsync(new CacheRequest(TestEntries.NewKey()), default);

        fresh.Status.Should().Be(CacheStatus.Hit);
        (await BodyAsync(fresh)).Should().Be("answer");
        revalidatable.Status.Should().Be(CacheStatus.Stale, "within stale-while-revalidate, but no refresh is started");
        (await BodyAsync(revalidatable)).Should().Be("answer");
        errorFallback.Status.Should().Be(CacheStatus.Stale, "within stale-if-error");
        noCache.Status.Should().Be(CacheStatus.Stale, "a failed revalidation serves stale-if-error too");
        onlyIfCached.IsGatewayTimeout.Should().BeTrue("only-if-cached refuses a stale entry outside max-stale");
        tooOld.IsGatewayTimeout.Should().BeTrue();
        tooOld.StatusCode.Should().Be(504);
        missing.IsGatewayTimeout.Should().BeTrue();
        upstream.Calls.Should().Be(1);
        (cache as DefaultResponseCache)?.FlightCount.Should().Be(0, "no refresh or fetch was started");
    }

    [Fact]
    public async Task GetOrCreateAsync_WithAPeekOutOfDate_TakesTheEntryStoredSinceWithoutCallingTheUpstream()
    {
        var cache = await CacheAsync();
        var other = await CacheAsync(1);
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());
        var peek = await cache.PeekAsync(request, default);
        await BodyAsync(await other.GetOrCreateAsync(request, FakeUpstream.Fixed("stored", upstream), default));

        // The fetch decides on the peek's read (a miss); the lease it asks for compares the entry and finds it stored.
        var response = await cache.GetOrCreateAsync(request, peek, FakeUpstream.Fixed("again", upstream), default);

        peek.HasEntry.Should().BeFalse();
        (await BodyAsync(response)).Should().Be("stored");
        upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_WithThePeekOfAnotherKey_ReadsItsOwnEntry()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());
        await BodyAsync(await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("stored", upstream), default));
        var otherPeek = await cache.PeekAsync(new CacheRequest(TestEntries.NewKey()), default);

        var response = await cache.GetOrCreateAsync(request, otherPeek, FakeUpstream.Fixed("again", upstream), default);

        response.Status.Should().Be(CacheStatus.Hit);
        (await BodyAsync(response)).Should().Be("stored");
        upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_ResponseNoStore_IsServedButNotStored()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());

        var first = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("private", upstream, cacheControl: "no-store"), default);
        await BodyAsync(first);
        var second = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("again", upstream), default);

        first.Stored.Should().BeFalse();
        first.ToCacheStatus("OKOME").Detail.Should().Be("upstream-no-store", "the operator learns why nothing was stored");
        second.Status.Should().Be(CacheStatus.Miss);
        second.ToCacheStatus("OKOME").Detail.Should().BeNull();
        upstream.Calls.Should().Be(2);
    }

    [Fact]
    public async Task GetOrCreateAsync_UpstreamFailsWithNothingStale_ThrowsToTheCaller()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();

        var call = async () => await cache.GetOrCreateAsync(new CacheRequest(TestEntries.NewKey()), upstream.Failing(), default);

        await call.Should().ThrowAsync<HttpRequestException>();
    }

    [Fact]
    public async Task InvalidateNamespaceAsync_BumpsTheVersion_SoKeysBuiltAfterwardsMiss()
    {
        var cache = await CacheAsync();
        var @namespace = "inv-" + Guid.NewGuid().ToString("N")[..8];
        var builder = new CacheKeyBuilder(new CacheKeyPolicy());
        var body = """{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}"""u8.ToArray();
        async Task<CacheKey> KeyAsync() => builder.Build(new CacheKeyRequest(@namespace, await cache.GetNamespaceVersionAsync(@namespace, default), "POST", "/v1/chat/completions", body));
        var upstream = new FakeUpstream();
        var before = await KeyAsync();
        await BodyAsync(await cache.GetOrCreateAsync(new CacheRequest(before), FakeUpstream.Fixed("v0", upstream), default));

        var version = await cache.InvalidateNamespaceAsync(@namespace, default);
        var after = await KeyAsync();
        var response = await cache.GetOrCreateAsync(new CacheRequest(after), FakeUpstream.Fixed("v1", upstream), default);

        version.Should().Be(1);
        after.Should().NotBe(before);
        response.Status.Should().Be(CacheStatus.Miss);
    }

    [Fact]
    public async Task InvalidateNamespaceAsync_KeyBuiltWithoutAVersion_TheCacheAppliesTheNewVersion()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey("inv-" + Guid.NewGuid().ToString("N")[..8]));
        await BodyAsync(await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("v0", upstream), default));
        var beforeBump = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("unused", upstream), default);

        await cache.InvalidateNamespaceAsync(request.Key.Namespace, default);
        var afterBump = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("v1", upstream), default);
        var afterBumpBody = await BodyAsync(afterBump);
        var again = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("unused", upstream), default);

        beforeBump.Status.Should().Be(CacheStatus.Hit);
        afterBump.Status.Should().Be(CacheStatus.Miss, "the same caller's key resolves to the namespace's new version");
        afterBumpBody.Should().Be("v1");
        again.Status.Should().Be(CacheStatus.Hit);
        (await BodyAsync(again)).Should().Be("v1");
        upstream.Calls.Should().Be(2);
    }

    [Fact]
    public async Task RemoveAsync_BumpedNamespace_RemovesTheEntryOfTheCurrentVersion()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey("rm-" + Guid.NewGuid().ToString("N")[..8]));
        await cache.InvalidateNamespaceAsync(request.Key.Namespace, default);
        await BodyAsync(await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("a", upstream), default));

        await cache.RemoveAsync(request.Key, default);

        (await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("b", upstream), default)).Status.Should().Be(CacheStatus.Miss);
    }

    [Fact]
    public async Task RemoveAsync_StoredEntry_NextRequestMisses()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());
        await BodyAsync(await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("a", upstream), default));

        await cache.RemoveAsync(request.Key, default);

        (await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("b", upstream), default)).Status.Should().Be(CacheStatus.Miss);
    }

    [Fact]
    public async Task GetOrCreateAsync_InvalidArguments_ThrowNamingTheArgument()
    {
        var cache = await CacheAsync();

        var noFactory = async () => await cache.GetOrCreateAsync(new CacheRequest(TestEntries.NewKey()), null!, default);
        var noKey = async () => await cache.GetOrCreateAsync(default, FakeUpstream.Fixed("x", new FakeUpstream()), default);
        var badNamespace = async () => await cache.InvalidateNamespaceAsync("has space", default);

        (await noFactory.Should().ThrowAsync<ArgumentNullException>()).Which.ParamName.Should().Be("factory");
        (await noKey.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("request");
        (await badNamespace.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("cacheNamespace");
    }

    [Fact]
    public async Task GetOrCreateAsync_StaleWithinStaleWhileRevalidate_ServesUpdatingAndRefreshesOnce()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());
        await BodyAsync(await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("old", upstream), default));
        Time.Advance(TimeSpan.FromMinutes(5.5));
        var gate = new TaskCompletionSource();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            cache.GetOrCreateAsync(request, upstream.Gated(gate.Task, "new"), default).AsTask()));
        gate.SetResult();

        responses.Should().OnlyContain(r => r.Status == CacheStatus.Updating);
        (await BodyAsync(responses[0])).Should().Be("old");
        await WaitUntilAsync(() => upstream.Calls == 2);
        var refreshed = await WaitForBodyAsync(cache, request, "new");
        refreshed.Status.Should().Be(CacheStatus.Hit);
        upstream.Calls.Should().Be(2, "one background refresh for twenty stale reads");
    }

    [Fact]
    public async Task GetOrCreateAsync_UpstreamFailsWithinStaleIfError_ServesStale()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());
        await BodyAsync(await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("kept", upstream), default));
        Time.Advance(TimeSpan.FromMinutes(8));

        var thrown = await cache.GetOrCreateAsync(request, upstream.Failing(), default);
        var failedStatus = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("error", upstream, status: 503), default);

        thrown.Status.Should().Be(CacheStatus.Stale);
        (await BodyAsync(thrown)).Should().Be("kept");
        failedStatus.Status.Should().Be(CacheStatus.Stale);
        (await BodyAsync(failedStatus)).Should().Be("kept");
    }

    [Fact]
    public async Task GetOrCreateAsync_PastEveryWindow_RefetchesAsExpired()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());
        await BodyAsync(await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("old", upstream), default));
        Time.Advance(TimeSpan.FromMinutes(8));

        var response = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("new", upstream), default);

        response.Status.Should().Be(CacheStatus.Expired);
        (await BodyAsync(response)).Should().Be("new");
    }

    [Fact]
    public async Task GetOrCreateAsync_UpstreamAnswers304ToTheStaleEntrysETag_Revalidates()
    {
        var cache = await CacheAsync();
        var key = TestEntries.NewKey();
        var etags = new List<string?>();
        UpstreamFactory first = (call, _) => ValueTask.FromResult(UpstreamResponse.FromBody(
            200, [new("content-type", "application/json"), new("etag", "\"e1\"")], "{\"v\":1}"u8.ToArray()));
        UpstreamFactory notModified = (call, _) =>
        {
            etags.Add(call.IfNoneMatch);
            return ValueTask.FromResult(UpstreamResponse.FromBody(304, [new("etag", "\"e1\"")], ReadOnlyMemory<byte>.Empty));
        };
        await BodyAsync(await cache.GetOrCreateAsync(new CacheRequest(key), first, default));
        Time.Advance(TimeSpan.FromMinutes(8));

        var response = await cache.GetOrCreateAsync(new CacheRequest(key), notModified, default);
        var after = await cache.GetOrCreateAsync(new CacheRequest(key), notModified, default);

        etags.Should().Equal("\"e1\"");
        response.Status.Should().Be(CacheStatus.Revalidated);
        (await BodyAsync(response)).Should().Be("{\"v\":1}");
        after.Status.Should().Be(CacheStatus.Hit, "the revalidated entry is fresh again");
    }

    /// <summary>
    /// A leader on node 0 streams two chunks; a joiner on <paramref name="joinerNode"/> arrives and reads both while the
    /// upstream is still open; then a third chunk ends the stream. Returns how many chunks the joiner had before the end.
    /// </summary>
    private async Task<(Reading Leader, Reading Joiner, int JoinerChunksBeforeTheEnd, FakeUpstream Upstream, CacheRequest Request)> JoinMidStreamAsync(int joinerNode)
    {
        var upstream = new FakeUpstream();
        var chunks = Channel.CreateUnbounded<string>();
        var request = new CacheRequest(TestEntries.NewKey());

        var leader = await StartReadingAsync(await CacheAsync(0), request, upstream.Streaming(chunks));
        await chunks.Writer.WriteAsync("data: a\n\n");
        await chunks.Writer.WriteAsync("data: b\n\n");
        await WaitUntilAsync(() => leader.Chunks.Count == 2);

        var joiner = await StartReadingAsync(await CacheAsync(joinerNode), request, upstream.Streaming(Channel.CreateUnbounded<string>()));
        await WaitUntilAsync(() => joiner.Chunks.Count == 2);
        var beforeTheEnd = joiner.Chunks.Count;
        await chunks.Writer.WriteAsync("data: c\n\n");
        chunks.Writer.Complete();
        await Task.WhenAll(leader.Done, joiner.Done);
        return (leader, joiner, beforeTheEnd, upstream, request);
    }

    /// <summary>Reads <paramref name="chunks"/> chunks, then stops reading and drops the response, as a client that hangs up.</summary>
    internal static async Task<List<string>> ReadThenHangUpAsync(CacheResponse response, int chunks)
    {
        var read = new List<string>();
        if (chunks > 0)
        {
            await foreach (var chunk in response.Body)
            {
                read.Add(Encoding.UTF8.GetString(chunk.Span));
                if (read.Count == chunks)
                {
                    break;
                }
            }
        }

        response.Abandon();
        return read;
    }

    /// <summary>Asks for a response and reads it in the background, chunk by chunk, as a client would.</summary>
    internal static async Task<Reading> StartReadingAsync(ResponseCache cache, CacheRequest request, UpstreamFactory factory)
    {
        var response = await cache.GetOrCreateAsync(request, factory, default);
        var chunks = new List<string>();
        return new Reading(response, chunks, ReadChunksAsync(response, chunks));
    }

    internal static async Task ReadChunksAsync(CacheResponse response, List<string> into)
    {
        await foreach (var chunk in response.Body)
        {
            lock (into)
            {
                into.Add(Encoding.UTF8.GetString(chunk.Span));
            }
        }
    }

    [Fact]
    public async Task PeekAsync_NoEntry_SaysFetchWithoutCallingTheUpstream()
    {
        var cache = await CacheAsync();

        var peek = await cache.PeekAsync(new CacheRequest(TestEntries.NewKey()), default);

        peek.Action.Should().Be(CacheAction.Fetch);
        peek.HasEntry.Should().BeFalse();
        peek.CanServeStaleOnError.Should().BeFalse();
        peek.InFlight.Should().BeFalse();
        peek.StoreAvailable.Should().BeTrue();
        peek.Fresh.Status.Should().Be(default(CacheResponse).Status, "only a fresh entry comes with a response");
    }

    [Fact]
    public async Task PeekAsync_ThroughTheEntrysLife_FollowsFreshThenStaleWhileRevalidateThenStaleIfError()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());
        await BodyAsync(await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("answer", upstream), default));
        var stored = await WaitForHitAsync(cache, request);
        await BodyAsync(stored);

        var fresh = await cache.PeekAsync(request, default);
        Time.Advance(TimeSpan.FromMinutes(5.5));
        var revalidate = await cache.PeekAsync(request, default);
        Time.Advance(TimeSpan.FromMinutes(2));
        var onError = await cache.PeekAsync(request, default);

        fresh.Action.Should().Be(CacheAction.UseFresh);
        fresh.HasEntry.Should().BeTrue();
        fresh.Fresh.Status.Should().Be(CacheStatus.Hit);
        (await BodyAsync(fresh.Fresh)).Should().Be("answer", "the peeked fresh entry is served without a second read");
        revalidate.Action.Should().Be(CacheAction.ServeStaleAndRefresh);
        onError.Action.Should().Be(CacheAction.Fetch);
        onError.CanServeStaleOnError.Should().BeTrue();
        onError.HasEntry.Should().BeTrue();
        upstream.Calls.Should().Be(1, "peeking never calls the upstream");
    }

    [Fact]
    public async Task PeekAsync_WhileThisNodeCallsTheUpstream_SaysInFlight()
    {
        var cache = await CacheAsync();
        var upstream = new FakeUpstream();
        var gate = new TaskCompletionSource();
        var request = new CacheRequest(TestEntries.NewKey());

        var pending = cache.GetOrCreateAsync(request, upstream.Gated(gate.Task, "slow"), default).AsTask();
        await WaitUntilAsync(() => upstream.Calls == 1);
        var peek = await cache.PeekAsync(request, default);
        gate.SetResult();
        await BodyAsync(await pending);

        peek.InFlight.Should().BeTrue();
        peek.Action.Should().Be(CacheAction.Fetch);
    }

    [Fact]
    public async Task PeekAsync_RequestDirectives_AreApplied()
    {
        var cache = await CacheAsync();
        var key = TestEntries.NewKey();

        var noStore = await cache.PeekAsync(new CacheRequest(key) { CacheControl = CacheControl.Parse("no-store") }, default);
        var onlyIfCached = await cache.PeekAsync(new CacheRequest(key) { CacheControl = CacheControl.Parse("only-if-cached") }, default);
        var nonDeterministic = await cache.PeekAsync(new CacheRequest(key) { IsDeterministic = false }, default);

        noStore.Action.Should().Be(CacheAction.Bypass);
        onlyIfCached.Action.Should().Be(CacheAction.GatewayTimeout);
        nonDeterministic.Action.Should().Be(CacheAction.Bypass);
    }

    [Fact]
    public async Task PeekAsync_DefaultRequest_ThrowsNamingTheArgument()
    {
        var cache = await CacheAsync();

        var peek = async () => await cache.PeekAsync(default, default);

        (await peek.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("request");
    }

    /// <summary>Waits for a condition another task makes true; bounded, so a broken test fails instead of hanging.</summary>
    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 2000 && !condition(); i++)
        {
            await Task.Delay(5);
        }

        condition().Should().BeTrue("the condition should become true within ten seconds");
    }

    private static async Task<CacheResponse> WaitForBodyAsync(ResponseCache cache, CacheRequest request, string body)
    {
        var upstream = new FakeUpstream();
        for (var i = 0; i < 2000; i++)
        {
            var response = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("unexpected", upstream), default);
            if (await BodyAsync(response) == body)
            {
                return response;
            }

            await Task.Delay(5);
        }

        throw new InvalidOperationException($"The cache never served '{body}'.");
    }

    /// <summary>The commit lands just after the last chunk went out; ask until the entry is there.</summary>
    private static async Task<CacheResponse> WaitForHitAsync(ResponseCache cache, CacheRequest request)
    {
        var upstream = new FakeUpstream();
        for (var i = 0; i < 2000; i++)
        {
            var response = await cache.GetOrCreateAsync(request with { CacheControl = CacheControl.Parse("only-if-cached") }, FakeUpstream.Fixed("none", upstream), default);
            if (response.Status == CacheStatus.Hit)
            {
                return response;
            }

            await Task.Delay(5);
        }

        throw new InvalidOperationException("The entry was never stored.");
    }

    /// <summary>A response being read in the background: the chunks so far, and the task that ends with the stream.</summary>
    internal sealed record Reading(CacheResponse Response, List<string> Chunks, Task Done);
}
