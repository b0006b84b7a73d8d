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
var arguments = new WorkerArguments(args);
var options = ConfigurationOptions.Parse(arguments.Text("redis"));
options.AbortOnConnectFail = false;
await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
var counter = (RedisKey)arguments.Text("counter");
var callers = arguments.Number("callers", 50);
var factoryTime = TimeSpan.FromMilliseconds(arguments.Number("factory-ms", 50));
var hang = arguments.Flag("hang");
var key = new CacheKey("stampede", UInt128.Parse(arguments.Text("key"), NumberStyles.HexNumber, CultureInfo.InvariantCulture));

var cacheOptions = new ResponseCacheOptions
{
    LeaseDuration = TimeSpan.FromMilliseconds(arguments.Number("lease-ms", 30_000)),
    RecheckInterval = TimeSpan.FromMilliseconds(arguments.Number("recheck-ms", 1_000)),
    Freshness = new FreshnessPolicy { FreshFor = TimeSpan.FromMinutes(5), Jitter = 0 },
};
var cache = ResponseCache.CreateRedis(redis, cacheOptions, TimeProvider.System, NullLoggerFactory.Instance, null);
var body = Encoding.UTF8.GetBytes($"result from process {Environment.ProcessId}");
UpstreamFactory factory = async (_, cancellationToken) =>
{
    await redis.GetDatabase().StringIncrementAsync(counter);
    await Task.Delay(hang ? Timeout.InfiniteTimeSpan : factoryTime, cancellationToken);
    return UpstreamResponse.FromBody(200, [new("content-type", "text/plain")], body);
};

// Warm the connection and the subscription before the start signal, so the run measures the stampede only.
await redis.GetDatabase().PingAsync();
await cache.GetNamespaceVersionAsync("stampede", default);
Console.WriteLine("ready");
if (Console.ReadLine() != "go")
{
    return 2;
}

var started = Stopwatch.GetTimestamp();
var results = await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
{
    var response = await cache.GetOrCreateAsync(new CacheRequest(key), factory, default);
    var text = Encoding.UTF8.GetString(await response.ReadBodyAsync(default));
    return (Status: response.Status.ToString(), response.Collapsed, Body: text, Milliseconds: Stopwatch.GetElapsedTime(started).TotalMilliseconds);
})));

var report = new WorkerReport(
    Environment.ProcessId,
    results.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count()),
    results.Count(r => r.Collapsed),
    results.Select(r => r.Body).Distinct().ToArray(),
    results.Select(r => r.Milliseconds).ToArray());
Console.WriteLine(JsonSerializer.Serialize(report));
return 0;

/// <summary>What one worker saw.</summary>
internal sealed record WorkerReport(int ProcessId, Dictionary<string, int> Statuses, int Collapsed, string[] Bodies, double[] LatenciesMs);
