using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Caching;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;
using Okome.Caching.Worker;
using StackExchange.Redis;

// One process of a stampede: connects to Redis, prints "ready", waits for "go" on stdin, then runs --callers concurrent
// GetOrCreateAsync calls for one key. The factory counts itself in Redis (INCR --counter), so the parent can count upstream
// calls across every process exactly. Prints one JSON line with statuses and per-caller latencies.
//   --redis HOST:PORT --key HEX32 --counter KEY [--callers 50] [--factory-ms 50] [--lease-ms 30000] [--recheck-ms 1000] [--hang]
//   [--library okome|hybrid|fusion] [--caller-statuses] [--warm-up]
// --library picks the cache (default okome; hybrid and fusion are the peers of the stampede benchmark, see PeerCaches.cs).
// --caller-statuses adds each caller's status, in the order of LatenciesMs, to the report (CallerStatuses); without it the
// report is exactly the WorkerReport below. With it the report also carries each caller's end on the wall clock (Unix ms,
// FinishedUnixMs) and when "go" arrived (GoUnixMs): processes on one machine share that clock, so the parent can line up
// the waiters of every process against the caller that called the upstream. --warm-up runs --callers concurrent calls on a key of this process's own (no
// INCR) before "ready", so the run measures the stampede rather than the first, cold call (JIT, scripts, thread pool).
var arguments = new WorkerArguments(args);
var options = ConfigurationOptions.Parse(arguments.Text("redis"));
options.AbortOnConnectFail = false;
await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
var counter = (RedisKey)arguments.Text("counter");
var callers = arguments.Number("callers", 50);
var factoryTime = TimeSpan.FromMilliseconds(arguments.Number("factory-ms", 50));
var hang = arguments.Flag("hang");
var library = arguments.Text("library", PeerCaches.Okome);
var key = new CacheKey("stampede", UInt128.Parse(arguments.Text("key"), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
var body = Encoding.UTF8.GetBytes($"result from process {Environment.ProcessId}");

Func<Task<CallerResult>> call;
if (library == PeerCaches.Okome)
{
    var cacheOptions = new ResponseCacheOptions
    {
        LeaseDuration = TimeSpan.FromMilliseconds(arguments.Number("lease-ms", 30_000)),
        RecheckInterval = TimeSpan.FromMilliseconds(arguments.Number("recheck-ms", 1_000)),
        Freshness = new FreshnessPolicy { FreshFor = TimeSpan.FromMinutes(5), Jitter = 0 },
    };
    var cache = ResponseCache.CreateRedis(redis, cacheOptions, TimeProvider.System, NullLoggerFactory.Instance, null);
    UpstreamFactory factory = async (_, cancellationToken) =>
    {
        await redis.GetDatabase().StringIncrementAsync(counter);
        await Task.Delay(hang ? Timeout.InfiniteTimeSpan : factoryTime, cancellationToken);
        return UpstreamResponse.FromBody(200, [new("content-type", "text/plain")], body);
    };

    // Warm the connection and the subscription before the start signal, so the run measures the stampede only.
    await redis.GetDatabase().PingAsync();
    await cache.GetNamespaceVersionAsync("stampede", default);
    call = async () =>
    {
        var response = await cache.GetOrCreateAsync(new CacheRequest(key), factory, default);
        var text = Encoding.UTF8.GetString(await response.ReadBodyAsync(default));
        return new CallerResult(response.Status.ToString(), response.Collapsed, text);
    };
    if (arguments.Flag("warm-up"))
    {
        var warmUpKey = new CacheKey("stampede-warm-up", (UInt128)(ulong)Random.Shared.NextInt64() << 64 | (ulong)Random.Shared.NextInt64());
        UpstreamFactory warmUpFactory = async (_, cancellationToken) =>
        {
            await Task.Delay(factoryTime, cancellationToken);
            return UpstreamResponse.FromBody(200, [new("content-type", "text/plain")], body);
        };
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
            await (await cache.GetOrCreateAsync(new CacheRequest(warmUpKey), warmUpFactory, default)).ReadBodyAsync(default))));
    }
}
else
{
    var peer = PeerCaches.Create(library, redis, "stampede:" + key.HashText);
    var text = Encoding.UTF8.GetString(body);
    async Task<string> Factory(CancellationToken cancellationToken)
    {
        await redis.GetDatabase().StringIncrementAsync(counter);
        await Task.Delay(hang ? Timeout.InfiniteTimeSpan : factoryTime, cancellationToken);
        return text;
    }

    await redis.GetDatabase().PingAsync();
    call = () => peer.GetOrCreateAsync(Factory);
    if (arguments.Flag("warm-up"))
    {
        await peer.WarmUpAsync(callers, factoryTime);
    }
}

Console.WriteLine("ready");
if (Console.ReadLine() != "go")
{
    return 2;
}

var started = Stopwatch.GetTimestamp();
var goUnixMs = UnixMilliseconds();
var results = await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
{
    var result = await call();
    return (result.Status, result.Collapsed, result.Body, Milliseconds: Stopwatch.GetElapsedTime(started).TotalMilliseconds, FinishedUnixMs: UnixMilliseconds());
})));

var report = new WorkerReport(
    Environment.ProcessId,
    results.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count()),
    results.Count(r => r.Collapsed),
    results.Select(r => r.Body).Distinct().ToArray(),
    results.Select(r => r.Milliseconds).ToArray());
Console.WriteLine(arguments.Flag("caller-statuses")
    ? JsonSerializer.Serialize(new DetailedWorkerReport(report.ProcessId, report.Statuses, report.Collapsed, report.Bodies, report.LatenciesMs, results.Select(r => r.Status).ToArray(), goUnixMs, results.Select(r => r.FinishedUnixMs).ToArray()))
    : JsonSerializer.Serialize(report));
return 0;

// The wall clock in milliseconds with its sub-millisecond part: comparable between processes on one machine.
static double UnixMilliseconds() => (TimeProvider.System.GetUtcNow() - DateTimeOffset.UnixEpoch).TotalMilliseconds;

/// <summary>What one worker saw.</summary>
internal sealed record WorkerReport(int ProcessId, Dictionary<string, int> Statuses, int Collapsed, string[] Bodies, double[] LatenciesMs);

/// <summary>
/// What one worker saw, with each caller's status and its end on the wall clock in the order of <see cref="LatenciesMs"/>
/// (<c>--caller-statuses</c>), and when "go" arrived.
/// </summary>
internal sealed record DetailedWorkerReport(int ProcessId, Dictionary<string, int> Statuses, int Collapsed, string[] Bodies, double[] LatenciesMs, string[] CallerStatuses, double GoUnixMs, double[] FinishedUnixMs);
