namespace Okome.Benchmarks.Modes;

/// <summary>Finds the external programs a mode runs (nginx, wrk).</summary>
internal static class Executables
{
    /// <summary>
    /// <paramref name="name"/> on PATH, else the first of <paramref name="fallbacks"/> that exists (nginx lives in
    /// <c>/usr/sbin</c>, which is not on every user's PATH), else null.
    /// </summary>
    public static string? Find(string name, params string[] fallbacks)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .Concat(fallbacks)
            .FirstOrDefault(File.Exists);
    }
}
