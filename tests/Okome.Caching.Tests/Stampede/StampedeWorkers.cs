using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Okome.Testing;

namespace Okome.Caching.Tests.Stampede;

/// <summary>Starts <c>Okome.Caching.Worker</c> processes against one key and collects what each saw.</summary>
internal static class StampedeWorkers
{
    public static string AssemblyPath { get; } = typeof(StampedeWorkers).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "OkomeCachingWorker").Value!;

    public static WorkerProcess Start(string redis, UInt128 keyHash, string counter, int callers, params string[] extra)
        => WorkerProcess.StartAssembly(AssemblyPath,
        [
            "--redis", redis, "--key", keyHash.ToString("x32", CultureInfo.InvariantCulture), "--counter", counter,
            "--callers", callers.ToString(CultureInfo.InvariantCulture), .. extra,
        ]);

    public static async Task<WorkerReport> ReportAsync(WorkerProcess worker, CancellationToken cancellationToken)
        => JsonSerializer.Deserialize<WorkerReport>(await worker.ResultAsync(cancellationToken))!;

    /// <summary>One worker's report (see the worker's Program.cs).</summary>
    internal sealed record WorkerReport(int ProcessId, Dictionary<string, int> Statuses, int Collapsed, string[] Bodies, double[] LatenciesMs);
}
