using System.Text;
using Spectre.Console;

namespace Okome.Tool.Output;

/// <summary>The console every command writes to: colours and live progress in a terminal, plain wide lines when redirected.</summary>
internal static class ToolConsole
{
    /// <summary>The width used when the output is a pipe or a file, so that long check lines are not wrapped.</summary>
    private const int RedirectedWidth = 400;

    public static IAnsiConsole Create()
    {
        Console.OutputEncoding = Encoding.UTF8;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return console;
    }
}
