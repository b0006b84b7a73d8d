using System.Net;
using Okome.Caching.Status;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>Identical requests spread over two service instances on one Redis share one upstream call.</summary>
public sealed class CoalescingTests
{
    private const int Requests = 20;

    [Fact]
    public async Task Post_ConcurrentIdenticalRequestsOnTwoInstances_CallTheUpstreamOnce()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var first = bed.StartInstance().CreateClient();
        using var second = bed.StartInstance().CreateClient();
        var ct = Chat.Within(120);
        var body = Chat.Body(Chat.UniquePrompt(), stream: true);

        var answers = await InFlightBurst.SendAsync(bed, [first, second], body, Requests, ct);

        bed.Upstream.Calls.Should().Be(
            1, "20 identical requests over two instances share one upstream call (X-OKOME-Cache / Cache-Status: {0})",
            string.Join(" | ", answers.Select(a => a.Cache + " " + a.CacheStatus)));
        answers.Should().OnlyContain(a => a.StatusCode == HttpStatusCode.OK);
        answers.Should().OnlyContain(a => Sse.Text(a.Events) == bed.Upstream.Text);
        answers.Should().OnlyContain(a => a.Events.Count > 0 && a.Events[a.Events.Count - 1] == "[DONE]");
        answers.Count(a => a.Cache == "MISS").Should().Be(1, "one request led");
        answers.Count(a => a.Cache == "HIT").Should().Be(Requests - 1, "the others waited on the leader's call (HIT, as nginx's lock waiters)");
        answers.Count(a => CacheStatusHeader.TryParse(a.CacheStatus, out var entries) && entries.Count == 1 && entries[0].Collapsed)
            .Should().BeGreaterThanOrEqualTo(1, "requests that joined the in-flight call say collapsed");
    }

    [Fact]
    public async Task Post_IdenticalStreamOnAnotherInstance_JoinsLiveWhileTheLeaderStreams()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var leaderClient = bed.StartInstance().CreateClient();
        using var joinerClient = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        var body = Chat.Body(Chat.UniquePrompt(), stream: true);
        bed.Upstream.HoldAfterFirstToken();
        try
        {
            using var leader = await leaderClient.SendAsync(Chat.Post(body), HttpCompletionOption.ResponseHeadersRead, ct);
            await bed.Upstream.FirstTokenSent.WaitAsync(ct);

            // DESIGN.md, "Streamed responses": a request on another node joins the in-flight stream and gets the chunks
            // produced so far, then the rest live. The upstream is held open, so this answer can only come from the join.
            using var joined = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, joined.Token);
            HttpResponseMessage? joiner = null;
            string? firstEvent = null;
            try
            {
                joiner = await joinerClient.SendAsync(Chat.Post(body), HttpCompletionOption.ResponseHeadersRead, both.Token);
                await foreach (var data in Sse.ReadDataAsync(await joiner.Content.ReadAsStreamAsync(both.Token), both.Token))
                {
                    firstEvent = data;
                    break;
                }
            }
            catch (Exception ex) when (joined.IsCancellationRequested && ex is OperationCanceledException or IOException)
            {
            }

            firstEvent.Should().NotBeNull("the other instance's request must stream the in-flight response live (a chunk within 10 s while the upstream is held), not wait for it to be stored");
            Sse.Content(firstEvent!).Should().Be(bed.Upstream.Tokens[0]);
            joiner.Should().NotBeNull();
            joiner!.Header("X-OKOME-Cache").Should().Be("HIT");
            CacheStatusHeader.TryParse(joiner!.Header("Cache-Status"), out var entries).Should().BeTrue();
            entries.Should().ContainSingle().Which.Collapsed.Should().BeTrue();
            bed.Upstream.Completed.Should().Be(0);
            joiner!.Dispose();
        }
        finally
        {
            bed.Upstream.Release();
        }

        bed.Upstream.Calls.Should().Be(1);
    }
}
