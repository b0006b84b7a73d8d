using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Okome.Caching.Tests.Stampede;

/// <summary>
/// Watches the commands a Redis server runs (<c>MONITOR</c>, on a connection of its own): how a test sees that another
/// process got to a given step — it sent a command naming a key unique to the test — instead of sleeping and hoping.
/// </summary>
internal sealed class RedisCommandWatch : IDisposable
{
    private readonly TcpClient _client;
    private readonly StreamReader _reader;

    private RedisCommandWatch(TcpClient client, StreamReader reader)
    {
        _client = client;
        _reader = reader;
    }

    /// <summary>Starts watching the server at <paramref name="endpoint"/> (<c>host:port</c>).</summary>
    public static async Task<RedisCommandWatch> StartAsync(string endpoint, CancellationToken cancellationToken)
    {
        var separator = endpoint.LastIndexOf(':');
        var client = new TcpClient();
        try
        {
            await client.ConnectAsync(endpoint[..separator], int.Parse(endpoint[(separator + 1)..], CultureInfo.InvariantCulture), cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync("MONITOR\r\n"u8.ToArray(), cancellationToken);
            var reader = new StreamReader(stream, Encoding.UTF8);
            var reply = await reader.ReadLineAsync(cancellationToken);
            if (reply != "+OK")
            {
                throw new InvalidOperationException($"MONITOR answered '{reply}'.");
            }

            return new RedisCommandWatch(client, reader);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Waits until the server runs <paramref name="command"/> with <paramref name="key"/> among its arguments.</summary>
    public async Task WaitForAsync(string command, string key, CancellationToken cancellationToken)
    {
        // A MONITOR line: +<time> [<db> <client>] "COMMAND" "arg" ...
        var name = $"] \"{command}\"";
        var argument = $" \"{key}\"";
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellationToken) ?? throw new InvalidOperationException("The MONITOR connection closed.");
            if (line.Contains(name, StringComparison.OrdinalIgnoreCase) && line.Contains(argument, StringComparison.Ordinal))
            {
                return;
            }
        }
    }

    /// <summary>Waits until the server runs any command with <paramref name="key"/> among its arguments.</summary>
    public async Task WaitForKeyAsync(string key, CancellationToken cancellationToken)
    {
        var argument = $" \"{key}\"";
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellationToken) ?? throw new InvalidOperationException("The MONITOR connection closed.");
            if (line.Contains(argument, StringComparison.Ordinal))
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _client.Dispose();
    }
}
