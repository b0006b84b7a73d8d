using System.ComponentModel;
using Spectre.Console.Cli;

namespace Okome.Tool.Commands;

/// <summary>The <c>--config</c> option of the commands that read the service's configuration.</summary>
internal class ConfigSettings : CommandSettings
{
    /// <summary>The option's help text (shared with <see cref="MaintenanceCommand.Settings"/>, which also takes a URL).</summary>
    public const string Description = "The service's appsettings.json (its Okome section; Okome__… environment variables apply on top). Default: ./appsettings.json if present.";

    [CommandOption("-c|--config <FILE>")]
    [Description(Description)]
    public string? Config { get; init; }
}
