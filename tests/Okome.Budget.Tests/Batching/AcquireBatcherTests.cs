using Okome.Budget.Batching;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Tests.Batching;

/// <summary>The lane mechanics of hot-partition batching, with a send function the test holds and releases.</summary>
public sealed class AcquireBatcherTests
{
    private static readonly BudgetPolicy Policy = new("p", [BudgetLimit.Quota("q", 1000, TimeSpan.FromDays(1))]);

    private sealed class HeldSend
    {
        public List<List<long>> Batches { get; } = [];

        public List<TaskCompletionSource> Gates { get; } = [];

        public Task<BudgetDecision[]> SendAsync(BudgetPolicy policy, PartitionId partition, IReadOnlyList<BatchedAcquire> batch)
        {
            TaskCompletionSource gate;
            lock (Batches)
            {
                Batches.Add([.. batch.Select(b => b.Cost)]);
                gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Gates.Add(gate);
            }

            return AnswerAsync(gate, policy, batch);
        }

        private static async Task<BudgetDecision[]> AnswerAsync(TaskCompletionSource gate, BudgetPolicy policy, IReadOnlyList<BatchedAcquire> batch)
        {
            await gate.Task;
            return [.. batch.Select(b => new BudgetDecision(true, policy.Name, [new BudgetLimitState(policy.Limits[0], true, b.Cost, TimeSpan.Zero, TimeSpan.Zero)], b.LeaseId, b.Cost))];
        }
    }

    [Fact]
    public async Task AcquireAsync_WhileACallIsOnItsWay_LaterAcquiresGoTogetherInOrder()
    {
        var send = new HeldSend();
        var batcher = new AcquireBatcher(send.SendAsync);
        var partition = PartitionId.FromKey("hot");

        var first = batcher.AcquireAsync(Policy, partition, 1, LeaseIds.Create());
        var followers = Enumerable.Range(2, 5).Select(cost => batcher.AcquireAsync(Policy, partition, cost, LeaseIds.Create())).ToArray();
        send.Batches.Should().HaveCount(1, "the followers wait while the first call is on its way");
        send.Gates[0].SetResult();
        await first;
        await WaitForBatchesAsync(send, 2);
        send.Gates[1].SetResult();
        var answers = await Task.WhenAll(followers);

        send.Batches.Should().HaveCount(2);
        send.Batches[0].Should().Equal(1);
        send.Batches[1].Should().Equal(2, 3, 4, 5, 6);
        answers.Select(a => a.ReservedCost).Should().Equal(2, 3, 4, 5, 6);
        (await first).ReservedCost.Should().Be(1);
        await WaitForAsync(() => batcher.LaneCount == 0);
        batcher.LaneCount.Should().Be(0, "a lane whose queue ran dry is closed");
    }

    [Fact]
    public void TryOpenAlone_IdlePartition_OpensOnceAndClosesWhenNothingQueued()
    {
        var send = new HeldSend();
        var batcher = new AcquireBatcher(send.SendAsync);
        var partition = PartitionId.FromKey("lone");

        var lane = batcher.TryOpenAlone(Policy, partition);
        var second = batcher.TryOpenAlone(Policy, partition);

        lane.Should().NotBeNull("an idle partition's caller sends its own call");
        second.Should().BeNull("a call of that partition is on its way: the next request queues");
        batcher.CloseAlone(Policy, partition, lane!);
        batcher.LaneCount.Should().Be(0);
        send.Batches.Should().BeEmpty("a lone call never goes through the send function");
        batcher.TryOpenAlone(Policy, partition).Should().NotBeNull("the closed lane can be opened again");
    }

    [Fact]
    public async Task CloseAlone_RequestsQueuedDuringTheLoneCall_GoTogetherAfterIt()
    {
        var send = new HeldSend();
        var batcher = new AcquireBatcher(send.SendAsync);
        var partition = PartitionId.FromKey("lone-then-busy");
        var lane = batcher.TryOpenAlone(Policy, partition)!;

        var followers = Enumerable.Range(2, 3).Select(cost => batcher.AcquireAsync(Policy, partition, cost, LeaseIds.Create())).ToArray();
        send.Batches.Should().BeEmpty("they wait for the lone call");
        batcher.CloseAlone(Policy, partition, lane);
        await WaitForBatchesAsync(send, 1);
        send.Gates[0].SetResult();
        var answers = await Task.WhenAll(followers);

        send.Batches.Should().ContainSingle().Which.Should().Equal(2, 3, 4);
        answers.Select(a => a.ReservedCost).Should().Equal(2, 3, 4);
        await WaitForAsync(() => batcher.LaneCount == 0);
        batcher.LaneCount.Should().Be(0, "the lane closes once its queue ran dry");
    }

    [Fact]
    public async Task AcquireAsync_OtherPartitions_DoNotWaitForEachOther()
    {
        var send = new HeldSend();
        var batcher = new AcquireBatcher(send.SendAsync);

        var a = batcher.AcquireAsync(Policy, PartitionId.FromKey("a"), 1, LeaseIds.Create());
        var b = batcher.AcquireAsync(Policy, PartitionId.FromKey("b"), 2, LeaseIds.Create());

        send.Batches.Should().HaveCount(2, "each partition has its own lane");
        send.Gates.ForEach(g => g.SetResult());
        (await a).ReservedCost.Should().Be(1);
        (await b).ReservedCost.Should().Be(2);
    }

    [Fact]
    public async Task AcquireAsync_BatchFails_EveryMemberFails()
    {
        var calls = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batcher = new AcquireBatcher(async (_, _, _) =>
        {
            Interlocked.Increment(ref calls);
            await gate.Task;
            throw new InvalidOperationException("down");
        });
        var partition = PartitionId.FromKey("x");

        var tasks = Enumerable.Range(0, 4).Select(_ => batcher.AcquireAsync(Policy, partition, 1, LeaseIds.Create())).ToArray();
        gate.SetResult();

        foreach (var task in tasks)
        {
            await FluentActions.Awaiting(() => task).Should().ThrowAsync<InvalidOperationException>();
        }

        calls.Should().Be(2, "the first alone, then the three that queued behind it");
    }

    private static async Task WaitForBatchesAsync(HeldSend send, int count)
        => await WaitForAsync(() => { lock (send.Batches) { return send.Batches.Count >= count; } });

    private static async Task WaitForAsync(Func<bool> condition)
    {
        // Bounded: the batcher's loop continues on the thread pool after the gate opens.
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Yield();
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System);
        }
    }
}
