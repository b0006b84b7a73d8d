using System.Globalization;

namespace Okome.Caching.Worker;

/// <summary>The worker's command line: <c>--name value</c> pairs and <c>--flag</c> switches.</summary>
internal sealed class WorkerArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public WorkerArguments(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}'.", nameof(args));
            }

            var name = args[i][2..];
            var hasValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            _values[name] = hasValue ? args[++i] : "true";
        }
    }

    public string Text(string name) => _values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required.");

    public string Text(string name, string fallback) => _values.GetValueOrDefault(name, fallback);

    public int Number(string name, int fallback)
        => _values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public bool Flag(string name) => _values.ContainsKey(name);
}
