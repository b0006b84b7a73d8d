using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace Okome.Testing;

/// <summary>
/// One real <c>redis-server</c> process on a loopback port, with no persistence, in a temporary
/// directory. Tests may kill it (as a crash) and start it again on the same port.
/// </summary>
public sealed class RedisProcess : IAsyncDisposable
{
    /// <summary>Marks the temporary directories, so a CI script can clean up after a crashed test host.</summary>
    public const string DirectoryPrefix = "okome-redis-";

    private readonly string _executable;
    private readonly string[] _extraArguments;
    private Process? _process;

    private RedisProcess(string executable, int port, string directory, string[] extraArguments)
    {
        _executable = executable;
        Port = port;
        Directory = directory;
        _extraArguments = extraArguments;
    }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The server's working directory (deleted on dispose).</summary>
    public string Directory { get; }

    /// <summary>The endpoint in StackExchange.Redis form, <c>127.0.0.1:port</c>.</summary>
    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>Whether the process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Finds <c>redis-server</c> on PATH, or returns null.</summary>
    public static string? FindExecutable()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Starts a server on a free loopback port and waits until it answers PING.</summary>
    /// <param name="executable">The <c>redis-server</c> path.</param>
    /// <param name="extraArguments">More configuration, as <c>--name value</c> pairs.</param>
    /// <param name="port">A port to use, or 0 for a free one.</param>
    public static async Task<RedisProcess> StartAsync(string executable, IEnumerable<string>? extraArguments = null, int port = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(executable);
        var extra = extraArguments?.ToArray() ?? [];
        var clusterBus = extra.Contains("--cluster-enabled") ? 10000 : 0;
        port = port == 0 ? LoopbackPorts.Next(clusterBus) : port;
        var directory = System.IO.Directory.CreateTempSubdirectory(DirectoryPrefix).FullName;
        var server = new RedisProcess(executable, port, directory, extra);
        await server.StartAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Starts the process again on the same port (after <see cref="Kill"/>).</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var info = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        foreach (var argument in (string[])
                 ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", Directory,
                  "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no"])
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var argument in _extraArguments)
        {
            info.ArgumentList.Add(argument);
        }

        var output = new System.Text.StringBuilder();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        RedisProcessRegistry.Track(process);

        // Readiness: the server accepts connections within milliseconds; allow ten seconds on a loaded machine.
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(
                    new ConfigurationOptions { EndPoints = { Endpoint }, ConnectTimeout = 500, AbortOnConnectFail = true })
                    .ConfigureAwait(false);
                await probe.GetDatabase().PingAsync().ConfigureAwait(false);
                return;
            }
            catch (RedisConnectionException)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }

        string log;
        lock (output)
        {
            log = output.ToString();
        }

        Kill();
        throw new InvalidOperationException($"redis-server on port {Port} did not start. Its output:\n{log}");
    }

    /// <summary>Stops the process with SIGSTOP: connections stay open and nothing answers (a stalled server).</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>Continues a process stopped by <see cref="PauseAsync"/> (SIGCONT).</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        if (_process is not { HasExited: false } process)
        {
            throw new InvalidOperationException("redis-server is not running.");
        }

        using var kill = Process.Start(new ProcessStartInfo("kill", [signal, process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("kill could not be started.");
        await kill.WaitForExitAsync().ConfigureAwait(false);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill {signal} {process.Id} failed with exit code {kill.ExitCode}.");
        }
    }

    /// <summary>Kills the process at once, as a crash would (no shutdown, no save).</summary>
    public void Kill()
    {
        if (_process is { } process)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
            _process = null;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Kill();
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
