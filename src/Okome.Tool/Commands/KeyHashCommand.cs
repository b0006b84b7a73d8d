using System.ComponentModel;
using Okome.Planner.Sample.Api;
using Okome.Tool.Output;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Okome.Tool.Commands;

/// <summary>
/// <c>okome key-hash &lt;key&gt;</c>: the budget partition (<c>key-</c> + XxHash128 hex) the service derives from an API key and
/// shows in logs instead of the key, computed by the service's own code.
/// </summary>
internal sealed class KeyHashCommand(IAnsiConsole console) : Command<KeyHashCommand.Settings>
{
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // --stdin reads the key from standard input, so that it stays out of the shell history.
        var key = settings.Stdin ? Console.In.ReadLine() ?? "" : settings.Key!;
        var (partition, _) = ApiKeys.Partition("Bearer " + key);
        console.Profile.Out.Writer.WriteLine(partition);
        return ExitCodes.Ok;
    }

    /// <summary>The command line of <c>okome key-hash</c>.</summary>
    internal sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[KEY]")]
        [Description("The API key as clients send it after \"Bearer \".")]
        public string? Key { get; init; }

        [CommandOption("--stdin")]
        [Description("Reads the key from the first line of standard input instead (it then stays out of the shell history).")]
        public bool Stdin { get; init; }

        public override ValidationResult Validate()
            => (Key is null) == Stdin ? ValidationResult.Success() : ValidationResult.Error("give either the key or --stdin");
    }
}
