using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Okome.Testing;

namespace Okome.Gateway.Tests.Hosting;

/// <summary>
/// One node as a real process: a built dll (the gateway or the OKOME service) under <c>dotnet</c> on a loopback port, its
/// settings given as environment variables, its console lines kept in memory so tests can wait for and read its access
/// lines. It can be killed and started again on the same port. Disposing kills it.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly string _dll;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _newLine = new(0);
    private Process? _process;

    private NodeProcess(string name, string dll, int port, IReadOnlyDictionary<string, string> settings)
    {
        Name = name;
        _dll = dll;
        Port = port;
        _settings = settings;
    }

    /// <summary>The gateway dll built with this test project.</summary>
    public static string GatewayDll { get; } = Built("OkomeGateway");

    /// <summary>The service dll built with this test project.</summary>
    public static string ServiceDll { get; } = Built("OkomeService");

    /// <summary>A name for messages.</summary>
    public string Name { get; }

    /// <summary>The loopback port.</summary>
    public int Port { get; }

    /// <summary>The base address (<c>http://127.0.0.1:port/</c>).</summary>
    public Uri BaseAddress => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/"));

    /// <summary>The <c>host:port</c> label the gateway gives this node.</summary>
    public string Label => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>Every console line so far.</summary>
    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>Starts <paramref name="dll"/> on a free loopback port and waits until <c>GET /health/live</c> answers.</summary>
    public static async Task<NodeProcess> StartAsync(string name, string dll, IReadOnlyDictionary<string, string> settings)
    {
        var node = new NodeProcess(name, dll, LoopbackPorts.Next(), settings);
        await node.StartAsync().ConfigureAwait(false);
        return node;
    }

    /// <summary>Starts the process again (after <see cref="Kill"/>) on the same port with the same settings.</summary>
    public async Task StartAsync()
    {
        if (!File.Exists(_dll))
        {
            throw new InvalidOperationException($"{_dll} is not built: build tests/Okome.Gateway.Tests first.");
        }

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(_dll)!,
        };
        info.ArgumentList.Add(_dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}"));
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Okome"] = "Information";
        info.Environment["Logging__LogLevel__Yarp"] = "Warning";
        foreach (var (key, value) in _settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitReadyAsync(process).ConfigureAwait(false);
    }

    /// <summary>Kills the process (as a crash would) and waits for it to exit.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }

    /// <summary>Waits until a console line satisfies <paramref name="match"/>, at most <paramref name="timeout"/>; returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            if (_lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            try
            {
                await _newLine.WaitAsync(cancel.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{Name} wrote no matching line within {timeout}. Last lines:{Environment.NewLine}{Tail()}");
            }
        }
    }

    /// <summary>The access lines (category <c>Okome.Access</c>) that carry <paramref name="requestId"/>.</summary>
    public IEnumerable<string> AccessLinesOf(string requestId)
        => _lines.Where(line => line.Contains("Okome.Access", StringComparison.Ordinal) && line.Contains(requestId, StringComparison.Ordinal));

    /// <summary>The last lines, for failure messages.</summary>
    public string Tail() => string.Join(Environment.NewLine, _lines.TakeLast(30));

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string Built(string key)
        => typeof(NodeProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        _lines.Enqueue(line);
        _newLine.Release();
    }

    private async Task WaitReadyAsync(Process process)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                using var response = await client.GetAsync(new Uri("health/live", UriKind.Relative)).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            // Polling the port is the only readiness signal a separate process gives; bounded by the deadline above.
            await Task.Delay(50).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"{Name} on port {Port} did not start. Last lines:{Environment.NewLine}{Tail()}");
    }
}
