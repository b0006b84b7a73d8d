using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Okome.Planner.Sample;
using Spectre.Console;

namespace Okome.Tool.Configuration;

/// <summary>
/// The service's configuration as the service reads it: the JSON file, then the environment (<c>Okome__Redis</c> is
/// <c>Okome:Redis</c>), bound to <see cref="SampleOptions"/> from the <c>Okome</c> section.
/// </summary>
internal sealed class ServiceConfiguration
{
    /// <summary>The file read when <c>--config</c> is not given (and skipped, environment only, when it is not there).</summary>
    public const string DefaultFile = "appsettings.json";

    private ServiceConfiguration(IConfiguration root, string source)
    {
        Root = root;
        Source = source;
    }

    public IConfiguration Root { get; }

    /// <summary>Where the values came from, for the first line of a command's output.</summary>
    public string Source { get; }

    /// <summary><c>Okome:Redis</c>; null when empty (the service then runs on its in-memory stores).</summary>
    public string? Redis => NullIfBlank(Root[SampleOptions.Section + ":Redis"]);

    /// <summary><c>Okome:AdminKey</c>; null when empty (the admin endpoints are off).</summary>
    public string? AdminKey => NullIfBlank(Root[SampleOptions.Section + ":AdminKey"]);

    /// <summary>Loads as <see cref="Load"/>; when that fails, writes its error as a ✗ line and returns null (the command exits with a usage error).</summary>
    public static ServiceConfiguration? LoadOrReport(string? path, IAnsiConsole console)
    {
        var configuration = Load(path, out var error);
        if (configuration is null)
        {
            console.MarkupLine("[red]✗[/] " + Markup.Escape(error!));
        }

        return configuration;
    }

    /// <summary>
    /// Loads <paramref name="path"/> (or <see cref="DefaultFile"/> when null) and the environment. Returns null and an error
    /// when a given file is missing or the JSON cannot be read.
    /// </summary>
    public static ServiceConfiguration? Load(string? path, out string? error)
    {
        error = null;
        var file = Path.GetFullPath(path ?? DefaultFile);
        var builder = new ConfigurationBuilder();
        string source;
        if (File.Exists(file))
        {
            builder.AddJsonFile(file, optional: false, reloadOnChange: false);
            source = file + " and Okome__ environment variables";
        }
        else if (path is null)
        {
            source = "Okome__ environment variables (no " + DefaultFile + " here)";
        }
        else
        {
            error = "configuration file not found: " + file;
            return null;
        }

        builder.AddEnvironmentVariables();
        try
        {
            return new ServiceConfiguration(builder.Build(), source);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or IOException)
        {
            error = "configuration file " + file + " cannot be read: " + ex.GetBaseException().Message;
            return null;
        }
    }

    /// <summary>
    /// Binds and runs the service's own validator (<see cref="SampleOptionsValidator"/>). Each error names its key, as the
    /// service's start-up error does; a value that does not even convert (<c>"Burst": "ten"</c>) is reported the same way.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var options = new SampleOptions();
        try
        {
            Root.GetSection(SampleOptions.Section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // The binder's message names the path: "Failed to convert configuration value at 'Okome:Budget:Burst' …".
            return [ex.Message];
        }

        var result = new SampleOptionsValidator().Validate(Options.DefaultName, options);
        return result.Failed ? [.. result.Failures] : [];
    }

    /// <summary>
    /// Every upstream base URL with its key: <c>Okome:Upstream:BaseUrl</c>, <c>CanaryBaseUrl</c>, and the lists
    /// <c>BaseUrls:0..n</c> and <c>CanaryBaseUrls:0..n</c> (read straight from the configuration, so it does not matter
    /// which of the forms the service version in use knows). Empty values are left out; a URL listed twice is checked once.
    /// </summary>
    public IReadOnlyList<(string Key, string Url)> Upstreams()
    {
        var upstream = Root.GetSection(SampleOptions.Section + ":Upstream");
        var found = new List<(string Key, string Url)>();
        void Add(IConfigurationSection section)
        {
            if (NullIfBlank(section.Value) is { } url && !found.Exists(f => string.Equals(f.Url, url.Trim(), StringComparison.Ordinal)))
            {
                found.Add((section.Path, url.Trim()));
            }
        }

        Add(upstream.GetSection("BaseUrl"));
        foreach (var child in Ordered(upstream.GetSection("BaseUrls")))
        {
            Add(child);
        }

        Add(upstream.GetSection("CanaryBaseUrl"));
        foreach (var child in Ordered(upstream.GetSection("CanaryBaseUrls")))
        {
            Add(child);
        }

        return found;
    }

    /// <summary><c>Okome:Upstream:ApiKey</c>, sent upstream as the service sends it.</summary>
    public string? UpstreamApiKey => NullIfBlank(Root[SampleOptions.Section + ":Upstream:ApiKey"]);

    /// <summary><c>Okome:Health:TimeoutSeconds</c> when it is a usable number, else the service's default (2 s).</summary>
    public TimeSpan ProbeTimeout
        => int.TryParse(Root[SampleOptions.Section + ":Health:TimeoutSeconds"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= 600
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(new SampleOptions.HealthSettings().TimeoutSeconds);

    private static IEnumerable<IConfigurationSection> Ordered(IConfigurationSection list)
        => list.GetChildren().OrderBy(c => int.TryParse(c.Key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue);

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
