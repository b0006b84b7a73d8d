using StackExchange.Redis;

namespace Okome.Testing;

/// <summary>A Redis server the tests use, with one shared multiplexer.</summary>
public sealed class TestRedisServer : IAsyncDisposable
{
    private readonly IAsyncDisposable? _owned;

    private TestRedisServer(string endpoint, string source, ConnectionMultiplexer multiplexer, IAsyncDisposable? owned)
    {
        Endpoint = endpoint;
        Source = source;
        Multiplexer = multiplexer;
        _owned = owned;
    }

    /// <summary>The server's <c>host:port</c>.</summary>
    public string Endpoint { get; }

    /// <summary>Where the server came from (environment variable, PATH, container), for messages.</summary>
    public string Source { get; }

    /// <summary>A multiplexer shared by the tests; do not dispose it.</summary>
    public IConnectionMultiplexer Multiplexer { get; }

    /// <summary>Opens another, independent connection (as a second process would have).</summary>
    public async Task<ConnectionMultiplexer> ConnectNewAsync()
        => await ConnectionMultiplexer.ConnectAsync(Options(Endpoint)).ConfigureAwait(false);

    /// <summary>Connection options for the tests: fail fast, allow admin commands.</summary>
    public static ConfigurationOptions Options(string endpoint)
    {
        var options = ConfigurationOptions.Parse(endpoint);
        options.AllowAdmin = true;
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 2000;
        return options;
    }

    internal static async Task<TestRedisServer> ConnectAsync(string endpoint, string source, IAsyncDisposable? owned)
    {
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(Options(endpoint)).ConfigureAwait(false);
        try
        {
            await multiplexer.GetDatabase().PingAsync().ConfigureAwait(false);
        }
        catch (RedisException ex)
        {
            throw new InvalidOperationException($"The Redis for the tests ({source}) does not answer at {endpoint}: {ex.Message}", ex);
        }

        return new TestRedisServer(endpoint, source, multiplexer, owned);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Multiplexer.DisposeAsync().ConfigureAwait(false);
        if (_owned is not null)
        {
            await _owned.DisposeAsync().ConfigureAwait(false);
        }
    }
}
