using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Okome.Tool.Commands;

/// <summary>The <c>--url</c> of a running service, for the commands that talk to it over HTTP.</summary>
internal class ServiceUrlSettings : CommandSettings
{
    /// <summary>The service's default listening address (its appsettings.json <c>Urls</c>).</summary>
    public const string DefaultUrl = "http://127.0.0.1:8000";

    [CommandOption("--url <URL>")]
    [Description("The running service. Default: " + DefaultUrl + ".")]
    public string Url { get; init; } = DefaultUrl;

    public override ValidationResult Validate()
        => Uri.TryCreate(Url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? ValidationResult.Success()
            : ValidationResult.Error("--url must be an absolute http or https URL");

    /// <summary>A path under the service's URL.</summary>
    public Uri Endpoint(string path) => new(Url.TrimEnd('/') + path, UriKind.Absolute);
}
