using System.Text;
using Okome.Caching;
using Okome.Planner.Decisions;
using Okome.Planner.Execution;
using Okome.Planner.Shedding;

namespace Okome.Planner.Tests.Execution;

public sealed class PlanExecutorLeakTests
{
    [Fact]
    public async Task ExecuteAsync_TwoHundredRandomRequestsWithCancellationAndFailures_LeaveNoLeaseOrSlot()
    {
        var time = TimeProvider.System;
        var slots = new GpuSlots(8, time);
        using var harness = new ExecutorHarness(slots: slots, time: time);
        var idle = await harness.ProbeAsync();
        var random = new Random(1234);
        var upstream = new FakeUpstream((_, ct) => ValueTask.FromResult(Respond(random, ct)));

        var tasks = Enumerable.Range(0, 200).Select(i =>
        {
            var seed = random.Next();
            return Task.Run(() => OneAsync(harness, upstream, i, seed));
        }).ToArray();
        var statuses = await Task.WhenAll(tasks);

        await ExecutorHarness.WaitUntilAsync(() => harness.FinishedCalls == upstream.Calls, "every upstream call that started ends");
        var after = await harness.ProbeAsync();
        after.SlotsFree.Should().Be(idle.SlotsFree, "no budget concurrency slot leaked");
        slots.Load.InFlight.Should().Be(0, "no GPU slot leaked");
        statuses.Should().Contain(200).And.Contain(-1, "some requests were cancelled");
        upstream.Calls.Should().BeGreaterThan(0);
    }

    private static UpstreamResponse Respond(Random random, CancellationToken cancellationToken)
    {
        int mode;
        lock (random)
        {
            mode = random.Next(6);
        }

        return mode switch
        {
            0 => throw new HttpRequestException("refused"),
            1 => new UpstreamResponse(200, FakeUpstream.TextHeaders, Failing(cancellationToken)),
            2 => new UpstreamResponse(503, FakeUpstream.TextHeaders, FakeUpstream.Stream(["busy"])),
            _ => new UpstreamResponse(200, FakeUpstream.TextHeaders, Slow(cancellationToken)),
        };
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Failing([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        yield return Encoding.UTF8.GetBytes("partial");
        cancellationToken.ThrowIfCancellationRequested();
        throw new IOException("cut");
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Slow([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < 5; i++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return Encoding.UTF8.GetBytes($"chunk{i}");
        }
    }

    /// <summary>One request: random key (so some join or hit), priority, cancellation point; returns the status, or -1 when cancelled.</summary>
    private static async Task<int> OneAsync(ExecutorHarness harness, FakeUpstream upstream, int index, int seed)
    {
        var random = new Random(seed);
        var key = random.Next(12);
        var request = new PlannedRequest(new CacheRequest(ExecutorHarness.Key(300 + key)) { IsDeterministic = random.Next(5) != 0 })
        {
            PartitionKey = "tenant-a",
            EstimatedCost = random.Next(1, 50),
            Priority = (RequestPriority)random.Next(-2, 3),
            RequestId = $"r{index}",
        };
        using var cancel = new CancellationTokenSource();
        var cancelAt = random.Next(4); // 0: before, 1: after the answer, 2: mid-body, 3: never
        if (cancelAt == 0)
        {
            await cancel.CancelAsync();
        }

        PlannedResponse response;
        try
        {
            response = await harness.Executor.ExecuteAsync(request, upstream.Delegate, cancel.Token);
        }
        catch (OperationCanceledException)
        {
            return -1;
        }

        await using (response)
        {
            if (cancelAt == 1)
            {
                return -1; // dropped without reading
            }

            try
            {
                var read = 0;
                await foreach (var chunk in response.Body.WithCancellation(cancel.Token))
                {
                    if (cancelAt == 2 && ++read == 1)
                    {
                        await cancel.CancelAsync();
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return -1;
            }
            catch (Okome.Caching.Streaming.UpstreamStreamException)
            {
                return -2;
            }

            return response.StatusCode;
        }
    }
}
