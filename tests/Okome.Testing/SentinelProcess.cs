using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Okome.Testing;

/// <summary>
/// One real <c>redis-server … --sentinel</c> process on a loopback port, with its generated (and, by Sentinel, rewritten)
/// configuration file in a temporary directory. <see cref="RedisProcess"/> cannot start it: a sentinel needs its
/// configuration file as the first argument.
/// </summary>
public sealed class SentinelProcess : IAsyncDisposable
{
    private readonly Process _process;

    private SentinelProcess(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
    }

    /// <summary>The loopback port the sentinel listens on.</summary>
    public int Port { get; }

    /// <summary>The sentinel's working directory, holding <c>sentinel.conf</c> (deleted on dispose).</summary>
    public string Directory { get; }

    /// <summary>The endpoint in StackExchange.Redis form, <c>127.0.0.1:port</c>.</summary>
    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>Starts a sentinel that monitors <paramref name="serviceName"/> at <paramref name="primary"/>, and waits until it accepts connections.</summary>
    /// <param name="executable">The <c>redis-server</c> path.</param>
    /// <param name="serviceName">The monitored service's name (<c>mymaster</c>).</param>
    /// <param name="primary">The primary to monitor.</param>
    /// <param name="quorum">How many sentinels must agree that the primary is down.</param>
    /// <param name="downAfter">How long the primary must not answer before it is considered down.</param>
    /// <param name="failoverTimeout">Sentinel's <c>failover-timeout</c>.</param>
    public static async Task<SentinelProcess> StartAsync(string executable, string serviceName, RedisProcess primary, int quorum, TimeSpan downAfter, TimeSpan failoverTimeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(executable);
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentNullException.ThrowIfNull(primary);
        var port = LoopbackPorts.Next();
        var directory = System.IO.Directory.CreateTempSubdirectory(RedisProcess.DirectoryPrefix).FullName;
        var config = Path.Combine(directory, "sentinel.conf");
        await File.WriteAllLinesAsync(config, [
            $"port {port}",
            "bind 127.0.0.1",
            "protected-mode yes",
            "daemonize no",
            $"dir {directory}",
            Line($"sentinel monitor {serviceName} 127.0.0.1 {primary.Port} {quorum}"),
            Line($"sentinel down-after-milliseconds {serviceName} {(long)downAfter.TotalMilliseconds}"),
            Line($"sentinel failover-timeout {serviceName} {(long)failoverTimeout.TotalMilliseconds}"),
            $"sentinel parallel-syncs {serviceName} 1",
        ]).ConfigureAwait(false);

        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        info.ArgumentList.Add(config);
        info.ArgumentList.Add("--sentinel");
        var output = new System.Text.StringBuilder();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        RedisProcessRegistry.Track(process);
        var sentinel = new SentinelProcess(process, port, directory);

        // Readiness: the port accepts connections (within milliseconds; ten seconds on a loaded machine).
        for (var attempt = 0; attempt < 200 && !process.HasExited; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port).ConfigureAwait(false);
                return sentinel;
            }
            catch (SocketException)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }

        string log;
        lock (output)
        {
            log = output.ToString();
        }

        await sentinel.DisposeAsync().ConfigureAwait(false);
        throw new InvalidOperationException($"redis-server --sentinel on port {port} did not start. Its output:\n{log}");
    }

    private static string Line(FormattableString line) => line.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind is harmless.
        }

        return ValueTask.CompletedTask;
    }
}
