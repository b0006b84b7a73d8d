using System.Globalization;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// The <c>--name value</c> arguments of a command-line mode. Unknown names and missing or malformed values are errors
/// (<see cref="ModeUsageException"/>), so a typo never silently runs with a default.
/// </summary>
internal sealed class ModeArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _known;

    private ModeArguments(IEnumerable<string> known) => _known = new HashSet<string>(known, StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/>, accepting only the option names in <paramref name="known"/> (without <c>--</c>).</summary>
    public static ModeArguments Parse(IReadOnlyList<string> args, IEnumerable<string> known)
    {
        var parsed = new ModeArguments(known);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || !parsed._known.Contains(arg[2..]))
            {
                throw new ModeUsageException($"Unknown argument '{arg}'. Known: {string.Join(", ", parsed._known.Select(k => "--" + k))}.");
            }

            if (i + 1 >= args.Count)
            {
                throw new ModeUsageException($"'{arg}' needs a value.");
            }

            parsed._values[arg[2..]] = args[++i];
        }

        return parsed;
    }

    /// <summary>The value of <c>--name</c>, or null when absent.</summary>
    public string? GetString(string name) => _values.GetValueOrDefault(name);

    /// <summary>The value of <c>--name</c>; it is required.</summary>
    public string GetRequiredString(string name)
        => GetString(name) ?? throw new ModeUsageException($"--{name} is required.");

    /// <summary>The integer value of <c>--name</c>, at least <paramref name="min"/>, or <paramref name="defaultValue"/> when absent.</summary>
    public int GetInt32(string name, int defaultValue, int min)
    {
        if (GetString(name) is not { } text)
        {
            return defaultValue;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min)
        {
            throw new ModeUsageException($"--{name} must be an integer of at least {min.ToString(CultureInfo.InvariantCulture)}; got '{text}'.");
        }

        return value;
    }
}
