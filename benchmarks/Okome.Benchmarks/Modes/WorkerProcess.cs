using System.Diagnostics;
using System.Globalization;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// A child process running this same benchmark executable in a worker mode. Protocol on its standard streams: it prints
/// <c>ready</c> once set up, starts when it reads <c>go</c>, and ends by printing <c>result name=value …</c>; its standard
/// error is forwarded, prefixed with the worker's index. Disposing kills the process if it is still running.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private const string ResultPrefix = "result ";

    private readonly Process _process;
    private readonly int _index;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(Process process, int index)
    {
        _process = process;
        _index = index;
    }

    /// <summary>Completes when the worker printed <c>ready</c>; fails if it exited first.</summary>
    public Task Ready => _ready.Task;

    /// <summary>
    /// Starts this executable again with <paramref name="arguments"/>. Under <c>dotnet run</c> the process is the apphost, which
    /// is started directly; under <c>dotnet Okome.Benchmarks.dll</c> it is the <c>dotnet</c> host, given the assembly first.
    /// </summary>
    public static WorkerProcess Start(int index, IEnumerable<string> arguments)
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown, so it cannot start its workers.");
        var info = new ProcessStartInfo(processPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (string.Equals(Path.GetFileNameWithoutExtension(processPath), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.ArgumentList.Add(typeof(Program).Assembly.Location);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var worker = new WorkerProcess(process, index);
        process.OutputDataReceived += (_, e) => worker.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => worker.OnError(e.Data);
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

    /// <summary>Waits for the worker's result line and its successful exit, and returns the result's values.</summary>
    public async Task<IReadOnlyDictionary<string, long>> ResultAsync(CancellationToken cancellationToken)
    {
        var line = await _result.Task.WaitAsync(cancellationToken);
        await _process.WaitForExitAsync(cancellationToken);
        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Worker {_index} exited with code {_process.ExitCode}."));
        }

        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pair in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length != 2 || !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                throw new InvalidOperationException($"Worker {_index} printed a malformed result: '{line}'.");
            }

            values[parts[0]] = value;
        }

        return values;
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
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            // End of output: whatever the worker did not report, it never will.
            var gone = new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Worker {_index} exited without reporting (see its errors above)."));
            _ready.TrySetException(gone);
            _result.TrySetException(gone);
        }
        else if (line == "ready")
        {
            _ready.TrySetResult();
        }
        else if (line.StartsWith(ResultPrefix, StringComparison.Ordinal))
        {
            _result.TrySetResult(line[ResultPrefix.Length..]);
        }
        else
        {
            Console.WriteLine($"[worker {_index}] {line}");
        }
    }

    private void OnError(string? line)
    {
        if (line is not null)
        {
            Console.Error.WriteLine($"[worker {_index}] {line}");
        }
    }
}
