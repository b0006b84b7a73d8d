using System.Diagnostics;
using System.Globalization;
using Okome.Testing;

namespace Okome.Tool.Tests.Support;

/// <summary>
/// The OKOME service (samples/Okome.Planner.Sample, copied beside the tests through the tool's reference) running as its own
/// process on a free loopback port, with the built-in simulator answering at once. Ready when Kestrel logs that it listens.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServiceProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    /// <summary>The service's base URL, <c>http://127.0.0.1:port</c>.</summary>
    public string Url { get; }

    public static async Task<ServiceProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{LoopbackPorts.Next()}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Okome.Planner.Sample.dll"));
        start.ArgumentList.Add("--urls=" + url);
        var all = new Dictionary<string, string>
        {
            ["Okome:Simulator:FirstTokenDelayMs"] = "0",
            ["Okome:Simulator:TokenDelayMs"] = "0",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        foreach (var (key, value) in all)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Okome__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("The service exited before listening:\n" + string.Join('\n', log)));
                return;
            }

            log.Enqueue(e.Data);
            if (e.Data.Contains("Now listening on", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                log.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, url);
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromMinutes(1));
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }

        return service;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
        }

        _process.Dispose();
    }
}
