using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Okome.Testing;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// One OKOME service process (the built <c>samples/Okome.Planner.Sample</c> dll under <c>dotnet</c>) on a free loopback port,
/// with its built-in simulator upstream. Its output goes to a log file; disposing kills it.
/// </summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServiceProcess(Process process, int port, StreamWriter log, string logPath)
    {
        _process = process;
        _log = log;
        Port = port;
        LogPath = logPath;
    }

    /// <summary>The service's loopback port.</summary>
    public int Port { get; }

    /// <summary>The service's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Where the service's output goes.</summary>
    public string LogPath { get; }

    /// <summary>The base address of the service.</summary>
    public Uri BaseAddress => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/"));

    /// <summary>The sample service built with this executable.</summary>
    public static string BuiltSamplePath { get; } = typeof(ServiceProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "OkomeSample").Value!;

    /// <summary>
    /// Starts the service dll at <paramref name="samplePath"/> with <paramref name="settings"/> (configuration keys, passed as
    /// environment variables) and waits until it answers.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(
        string samplePath, int index, IReadOnlyDictionary<string, string> settings, string logDirectory, CancellationToken cancellationToken)
    {
        if (!File.Exists(samplePath))
        {
            throw new InvalidOperationException($"The sample service is not built at {samplePath}: build benchmarks/Okome.Benchmarks in Release.");
        }

        var port = LoopbackPorts.Next();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(samplePath)!,
        };
        info.ArgumentList.Add(samplePath);

        // On the command line: it outranks the sample's appsettings.json "Urls" (port 8000).
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Okome"] = "Information";
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var logPath = Path.Combine(logDirectory, string.Create(CultureInfo.InvariantCulture, $"service-{index}.log"));
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, port, log, logPath);
        try
        {
            await service.WaitReadyAsync(cancellationToken);
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
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
            // It exited meanwhile.
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The process is being stopped.
            }
        }
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (_process.HasExited)
            {
                break;
            }

            try
            {
                using var response = await client.GetAsync(new Uri("v1/models", UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new InvalidOperationException($"The service on port {Port} did not start; see {LogPath}.");
    }
}
