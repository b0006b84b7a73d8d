using Okome.Caching.Keys;
using Okome.Caching.Tests.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.Stampede;

/// <summary>Real processes, one real Redis: the upstream is called once however many processes ask.</summary>
public sealed class MultiProcessStampedeTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task GetOrCreateAsync_FourProcessesOfFiftyCallers_CallTheUpstreamExactlyOnce()
    {
        var redis = await TestRedis.GetAsync();
        var key = TestEntries.NewKey("stampede");
        var counter = TestRedis.UniqueNamespace() + ":calls";
        using var timeout = new CancellationTokenSource(Budget);
        var workers = Enumerable.Range(0, 4).Select(_ => StampedeWorkers.Start(redis.Endpoint, key.Hash, counter, 50, "--factory-ms", "200")).ToArray();
        try
        {
            await Task.WhenAll(workers.Select(w => w.Ready)).WaitAsync(timeout.Token);
            foreach (var worker in workers)
            {
                worker.Go();
            }

            var reports = await Task.WhenAll(workers.Select(w => StampedeWorkers.ReportAsync(w, timeout.Token)));

            ((long)await redis.Multiplexer.GetDatabase().StringGetAsync(counter)).Should().Be(1, "one upstream call for 200 callers in 4 processes (statuses per process: " + string.Join(" / ", reports.Select(r => string.Join(",", r.Statuses.Select(s => s.Key + "=" + s.Value)))) + ")");
            reports.SelectMany(r => r.Bodies).Distinct().Should().ContainSingle("every caller got the one result");
            reports.Sum(r => r.Statuses.GetValueOrDefault("Miss")).Should().Be(1);
            reports.Sum(r => r.Statuses.GetValueOrDefault("Hit")).Should().Be(199, "waiters report HIT, as nginx's lock waiters do");
            reports.Sum(r => r.Collapsed).Should().Be(199);
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    [Fact]
    public async Task GetOrCreateAsync_HolderKilledMidFactory_AnotherProcessTakesOverAndStoresOneResult()
    {
        var redis = await TestRedis.GetAsync();
        var key = TestEntries.NewKey("stampede");
        var counter = TestRedis.UniqueNamespace() + ":calls";
        var database = redis.Multiplexer.GetDatabase();
        using var timeout = new CancellationTokenSource(Budget);
        string[] shortLease = ["--lease-ms", "1500", "--recheck-ms", "250"];
        using var holder = StampedeWorkers.Start(redis.Endpoint, key.Hash, counter, 1, [.. shortLease, "--hang"]);
        using var survivor = StampedeWorkers.Start(redis.Endpoint, key.Hash, counter, 10, [.. shortLease, "--factory-ms", "10"]);
        await Task.WhenAll(holder.Ready, survivor.Ready).WaitAsync(timeout.Token);
        using var commands = await RedisCommandWatch.StartAsync(redis.Endpoint, timeout.Token);

        holder.Go();
        await commands.WaitForAsync("INCR", counter, timeout.Token);

        (await database.KeyExistsAsync(RedisKeys.Default.Lease(key))).Should().BeTrue("the hanging holder has the lease");
        survivor.Go();

        // The survivor's lease request (it names the key's live stream, to learn whether the holder streams): it now waits.
        await commands.WaitForKeyAsync((string)RedisKeys.Default.Stream(key)!, timeout.Token);
        holder.Kill();
        var report = await StampedeWorkers.ReportAsync(survivor, timeout.Token);

        ((long)await database.StringGetAsync(counter)).Should().Be(2, "the crashed holder's call, then exactly one takeover");
        report.Bodies.Should().ContainSingle().Which.Should().Contain(report.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        report.Statuses.GetValueOrDefault("Miss").Should().Be(1);
        (await database.KeyExistsAsync(RedisKeys.Default.Entry(key))).Should().BeTrue();
        (await database.KeyExistsAsync(RedisKeys.Default.Lease(key))).Should().BeFalse("the new holder released the lease with its commit");
    }
}
