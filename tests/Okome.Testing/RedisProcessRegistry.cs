using System.Diagnostics;

namespace Okome.Testing;

/// <summary>Kills every redis-server the tests started when the test host exits, even if a test forgot to.</summary>
internal static class RedisProcessRegistry
{
    private static readonly List<Process> Processes = [];

    static RedisProcessRegistry() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    public static void Track(Process process)
    {
        lock (Processes)
        {
            Processes.Add(process);
        }
    }

    private static void KillAll()
    {
        lock (Processes)
        {
            foreach (var process in Processes)
            {
                try
                {
                    if (!process.HasExited)
                    {
                        process.Kill(entireProcessTree: true);
                    }
                }
                catch (InvalidOperationException)
                {
                    // Exited or disposed meanwhile.
                }
            }
        }
    }
}
