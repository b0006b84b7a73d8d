using System.Globalization;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// The CPU time (user + system, all threads) a process and its direct children have used, from Linux's <c>/proc</c>.
/// The hit-path mode divides it by the requests served: CPU per request moves far less than requests/s when other work
/// shares the machine, so it is the figure to compare two builds by on a busy machine.
/// </summary>
internal static class ProcessCpu
{
    // USER_HZ: the unit of utime and stime in /proc/PID/stat; 100 on every Linux the project runs on.
    private const double TicksPerSecond = 100;

    /// <summary>
    /// The CPU time of <paramref name="pid"/> and, when <paramref name="children"/>, its children (nginx's workers), or null
    /// where there is no <c>/proc</c>.
    /// </summary>
    public static TimeSpan? Read(int pid, bool children)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        long ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || Stat(directory) is not { } stat)
            {
                continue;
            }

            if (stat.Pid == pid || (children && stat.ParentPid == pid))
            {
                ticks += stat.Ticks;
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    private static (int Pid, int ParentPid, long Ticks)? Stat(string directory)
    {
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(directory, "stat"));
        }
        catch (IOException)
        {
            return null; // The process ended meanwhile.
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid ... utime(14) stime(15)": comm may hold spaces, so split after its closing parenthesis.
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = text[(close + 2)..].Split(' ');
        var pid = int.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (pid, parent, ticks);
    }
}
