using Spectre.Console;

namespace Okome.Tool.Output;

/// <summary>
/// One line per check (✓ passed, ✗ failed, - skipped) and a closing line naming every failure, as the seed's
/// <c>okome-validate</c> printed them; the exit code is 1 when anything failed.
/// </summary>
internal sealed class CheckReport(IAnsiConsole console)
{
    private readonly List<string> _failures = [];

    public bool Failed => _failures.Count > 0;

    public IReadOnlyList<string> Failures => _failures;

    public void Pass(string what) => console.MarkupLine("[green]✓[/] " + Markup.Escape(what));

    /// <summary>A failed check; <paramref name="name"/> is what the closing line lists (a configuration key, "Redis unreachable").</summary>
    public void Fail(string what, string name)
    {
        console.MarkupLine("[red]✗[/] " + Markup.Escape(what));
        if (!_failures.Contains(name, StringComparer.Ordinal))
        {
            _failures.Add(name);
        }
    }

    public void Skip(string what) => console.MarkupLine("[grey]-[/] " + Markup.Escape(what));

    /// <summary>Prints the closing line and returns the exit code.</summary>
    public int Finish()
    {
        if (_failures.Count == 0)
        {
            console.MarkupLine("[green]OK[/]: every check passed.");
            return 0;
        }

        console.MarkupLine("[red]FAILED[/]: " + Markup.Escape(string.Join(", ", _failures)));
        return 1;
    }
}
