using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace Okome.Testing;

/// <summary>
/// A Sentinel-managed Redis made of real processes on free loopback ports: a primary, a replica (<c>--replicaof</c>) and one
/// or more sentinels with short detection times, owned by one test and cleaned up on dispose. The test may kill the primary
/// and wait for the sentinels to promote the replica.
/// </summary>
public sealed class RedisSentinelSet : IAsyncDisposable
{
    /// <summary>The service name the sentinels monitor.</summary>
    public const string ServiceName = "mymaster";

    // The set's own connections for its checks (never the code under test's): one to the replica, one per sentinel.
    private readonly Dictionary<string, ConnectionMultiplexer> _admins;

    private RedisSentinelSet(RedisProcess primary, RedisProcess replica, IReadOnlyList<SentinelProcess> sentinels, Dictionary<string, ConnectionMultiplexer> admins)
    {
        Primary = primary;
        Replica = replica;
        Sentinels = sentinels;
        _admins = admins;
    }

    /// <summary>The process that is the primary when the set starts.</summary>
    public RedisProcess Primary { get; }

    /// <summary>The process that replicates the primary when the set starts (and is promoted when it dies).</summary>
    public RedisProcess Replica { get; }

    /// <summary>The sentinels.</summary>
    public IReadOnlyList<SentinelProcess> Sentinels { get; }

    /// <summary>The StackExchange.Redis connection string through the sentinels: <c>127.0.0.1:p1,…,serviceName=mymaster</c>.</summary>
    public string ConnectionString => string.Join(',', Sentinels.Select(s => s.Endpoint)) + ",serviceName=" + ServiceName;

    /// <summary>Starts a primary, a replica and <paramref name="sentinels"/> sentinels, and waits until the sentinels know the replica.</summary>
    /// <param name="sentinels">How many sentinels (1 or 3 are the usual; the quorum is a majority).</param>
    /// <param name="downAfter">How long the primary must not answer before it is considered down; 1 second by default.</param>
    public static async Task<RedisSentinelSet> StartAsync(int sentinels = 1, TimeSpan? downAfter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sentinels, 1);
        var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException(
            "Sentinel tests start real redis-server processes, and redis-server is not on PATH. " + TestRedis.NoRedisMessage);
        var after = downAfter ?? TimeSpan.FromSeconds(1);
        var started = new List<IAsyncDisposable>();
        try
        {
            var primary = await RedisProcess.StartAsync(executable).ConfigureAwait(false);
            started.Add(primary);
            var replica = await RedisProcess.StartAsync(executable, ["--replicaof", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture)]).ConfigureAwait(false);
            started.Add(replica);
            var watchers = new List<SentinelProcess>();
            for (var i = 0; i < sentinels; i++)
            {
                var sentinel = await SentinelProcess.StartAsync(executable, ServiceName, primary, (sentinels / 2) + 1, after, after * 3).ConfigureAwait(false);
                started.Add(sentinel);
                watchers.Add(sentinel);
            }

            var admins = new Dictionary<string, ConnectionMultiplexer>(StringComparer.Ordinal);
            foreach (var (endpoint, isSentinel) in watchers.Select(w => (w.Endpoint, true)).Append((replica.Endpoint, false)))
            {
                var admin = await ConnectionMultiplexer.ConnectAsync(AdminOptions(endpoint, isSentinel)).ConfigureAwait(false);
                started.Add(admin);
                admins[endpoint] = admin;
            }

            var set = new RedisSentinelSet(primary, replica, watchers, admins);
            await WaitAsync(set.IsReadyAsync, TimeSpan.FromSeconds(30), "the replica to sync and every sentinel to know it").ConfigureAwait(false);
            return set;
        }
        catch
        {
            for (var i = started.Count - 1; i >= 0; i--)
            {
                await started[i].DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Kills the primary as a crash would (SIGKILL: no shutdown, nothing more replicated).</summary>
    public void KillPrimary() => Primary.Kill();

    /// <summary>Waits until every sentinel names the replica as the primary and the replica says it is one.</summary>
    public Task WaitForFailoverAsync(TimeSpan timeout) => WaitAsync(IsFailedOverAsync, timeout, "the sentinels to promote the replica");

    /// <summary>The port every sentinel names as the primary now, or null while they disagree or do not answer.</summary>
    public async Task<int?> PrimaryPortAsync()
    {
        int? port = null;
        foreach (var sentinel in Sentinels)
        {
            var address = await Server(sentinel.Endpoint).SentinelGetMasterAddressByNameAsync(ServiceName).ConfigureAwait(false);
            if (address is not IPEndPoint endpoint || (port is { } known && known != endpoint.Port))
            {
                return null;
            }

            port = endpoint.Port;
        }

        return port;
    }

    private async Task<bool> IsReadyAsync()
    {
        var replication = await Server(Replica.Endpoint).InfoAsync("replication").ConfigureAwait(false);
        if (!replication.SelectMany(g => g).Any(p => p.Key == "master_link_status" && p.Value == "up"))
        {
            return false;
        }

        foreach (var sentinel in Sentinels)
        {
            var replicas = await Server(sentinel.Endpoint).SentinelReplicasAsync(ServiceName).ConfigureAwait(false);
            if (!replicas.Any(r => r.Any(p => p.Key == "port" && p.Value == Replica.Port.ToString(CultureInfo.InvariantCulture))))
            {
                return false;
            }

            if (Sentinels.Count > 1)
            {
                var master = await Server(sentinel.Endpoint).SentinelMasterAsync(ServiceName).ConfigureAwait(false);
                if (!master.Any(p => p.Key == "num-other-sentinels" && p.Value == (Sentinels.Count - 1).ToString(CultureInfo.InvariantCulture)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private async Task<bool> IsFailedOverAsync()
    {
        if (await PrimaryPortAsync().ConfigureAwait(false) != Replica.Port)
        {
            return false;
        }

        var role = await Server(Replica.Endpoint).RoleAsync().ConfigureAwait(false);
        return role is Role.Master;
    }

    private IServer Server(string endpoint) => _admins[endpoint].GetServer(endpoint);

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (TimeProvider.System.GetTimestamp() < deadline)
        {
            try
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (RedisException)
            {
                // A node not (yet, or no longer) answering: ask again.
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The local Sentinel set did not get {what} within {timeout.TotalSeconds} s."));
    }

    private static ConfigurationOptions AdminOptions(string endpoint, bool isSentinel)
    {
        var options = TestRedisServer.Options(endpoint);
        options.ConnectTimeout = 1000;
        options.AsyncTimeout = 1000;
        if (isSentinel)
        {
            options.CommandMap = CommandMap.Sentinel;
        }

        return options;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var admin in _admins.Values)
        {
            await admin.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var sentinel in Sentinels)
        {
            await sentinel.DisposeAsync().ConfigureAwait(false);
        }

        await Replica.DisposeAsync().ConfigureAwait(false);
        await Primary.DisposeAsync().ConfigureAwait(false);
    }
}
