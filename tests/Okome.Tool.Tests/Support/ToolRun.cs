using System.Diagnostics;
using System.Text;

namespace Okome.Tool.Tests.Support;

/// <summary>The outcome of one <c>okome</c> process.</summary>
public sealed record ToolRun(int ExitCode, string Output, string Errors)
{
    /// <summary>The built tool beside the test assembly (the project reference copies it with its runtimeconfig).</summary>
    public static string ToolPath => Path.Combine(AppContext.BaseDirectory, "Okome.Tool.dll");

    /// <summary>
    /// Runs <c>dotnet Okome.Tool.dll args…</c> in <paramref name="workingDirectory"/> (a fresh empty folder when null), with
    /// the Okome__ variables of this process removed and <paramref name="environment"/> added; at most two minutes.
    /// </summary>
    public static async Task<ToolRun> RunAsync(string[] args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, string? input = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? Directory.CreateTempSubdirectory("okome-tool-").FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(ToolPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Okome__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteLineAsync(input);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"okome {string.Join(' ', args)} did not finish within 2 minutes. Output so far: {await output}");
        }

        return new ToolRun(process.ExitCode, await output, await errors);
    }

    /// <summary>For assertion messages.</summary>
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Errors}";
}
