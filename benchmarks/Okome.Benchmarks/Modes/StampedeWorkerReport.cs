namespace Okome.Benchmarks.Modes;

/// <summary>
/// One <c>Okome.Caching.Worker</c> process's report, run with <c>--caller-statuses</c>: its statuses, the callers that waited
/// for another's call, the distinct bodies, and each caller's latency from <c>go</c>, its status and its end on the wall
/// clock (Unix ms, shared by the processes of one machine) in the same order, and when <c>go</c> arrived.
/// </summary>
internal sealed record StampedeWorkerReport(int ProcessId, Dictionary<string, int> Statuses, int Collapsed, string[] Bodies, double[] LatenciesMs, string[] CallerStatuses, double GoUnixMs, double[] FinishedUnixMs);
