using System.Diagnostics;
using System.Globalization;

namespace Okome.Testing;

/// <summary>
/// A child .NET process for multi-process tests and benchmarks. Protocol on its standard streams: it prints <c>ready</c>
/// once set up, starts when it reads <c>go</c>, and its last line of output is its result. Disposing (or
/// <see cref="Kill"/>) ends it at once, as a crash would.
/// </summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _errors = new();
    private string? _lastLine;

    private WorkerProcess(Process process) => _process = process;

    /// <summary>Completes when the worker printed <c>ready</c>; fails if it exited first.</summary>
    public Task Ready => _ready.Task;

    /// <summary>The operating system's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Starts <c>dotnet <paramref name="assemblyPath"/> <paramref name="arguments"/></c>.</summary>
    public static WorkerProcess StartAssembly(string assemblyPath, IEnumerable<string> arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(assemblyPath);
        ArgumentNullException.ThrowIfNull(arguments);
        if (!File.Exists(assemblyPath))
        {
            throw new FileNotFoundException("The worker assembly is not built.", assemblyPath);
        }

        return Start("dotnet", [assemblyPath, .. arguments]);
    }

    /// <summary>Starts <paramref name="executable"/> with <paramref name="arguments"/>.</summary>
    public static WorkerProcess Start(string executable, IEnumerable<string> arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(executable);
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var worker = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) => worker.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            lock (worker._errors)
            {
                worker._errors.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Tells the worker to start.</summary>
    public void Go()
    {
        _process.StandardInput.WriteLine("go");
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for the worker to exit with code 0 and returns its last line of output.</summary>
    public async Task<string> ResultAsync(CancellationToken cancellationToken)
    {
        var line = await _result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Worker {_process.Id} exited with code {_process.ExitCode}: {Errors}"));
        }

        return line;
    }

    /// <summary>What the worker wrote to standard error so far.</summary>
    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    /// <summary>Kills the worker at once, as a crash would.</summary>
    public void Kill()
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
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            var gone = new InvalidOperationException("The worker exited before it was ready: " + Errors);
            _ready.TrySetException(gone);
            if (_lastLine is null)
            {
                _result.TrySetException(gone);
            }
            else
            {
                _result.TrySetResult(_lastLine);
            }

            return;
        }

        if (line == "ready")
        {
            _ready.TrySetResult();
            return;
        }

        _lastLine = line;
    }
}
