using System.ComponentModel;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Okome.Caching.Status;
using Okome.Planner.Sample.Api;
using Okome.Tool.Output;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Okome.Tool.Commands;

/// <summary>
/// <c>okome prewarm &lt;file&gt;</c>: sends each chat completion request body of a JSON lines file to the running service, one
/// at a time, at <c>X-OKOME-Priority: background</c> (the service sheds those first when the GPU is busy), and prints each
/// one's status and <c>X-OKOME-Cache</c>.
/// </summary>
internal sealed class PrewarmCommand(IAnsiConsole console) : AsyncCommand<PrewarmCommand.Settings>
{
    private const string Route = "/v1/chat/completions";

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.File))
        {
            console.MarkupLine("[red]✗[/] request file not found: " + Markup.Escape(Path.GetFullPath(settings.File)));
            return ExitCodes.Usage;
        }

        var lines = (await File.ReadAllLinesAsync(settings.File, cancellationToken).ConfigureAwait(false))
            .Select((text, index) => (Line: index + 1, Body: text.Trim()))
            .Where(l => l.Body.Length > 0)
            .ToList();
        if (lines.Count == 0)
        {
            console.MarkupLine("[red]✗[/] " + Markup.Escape(settings.File) + " holds no request (one JSON request body per line)");
            return ExitCodes.Usage;
        }

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds) };
        var results = new List<(int Line, string Status, string Cache, bool Ok)>(lines.Count);
        await console.Progress().StartAsync(async progress =>
        {
            var task = progress.AddTask("pre-warming " + Markup.Escape(settings.Url), maxValue: lines.Count);
            foreach (var (line, body) in lines)
            {
                results.Add(await SendAsync(client, settings, line, body, cancellationToken).ConfigureAwait(false));
                task.Increment(1);
            }
        }).ConfigureAwait(false);

        var table = new Table().AddColumn("line").AddColumn("status").AddColumn(OkomeCacheHeader.Name);
        foreach (var (line, status, cache, ok) in results)
        {
            table.AddRow(line.ToString(CultureInfo.InvariantCulture), ok ? Markup.Escape(status) : "[red]" + Markup.Escape(status) + "[/]", Markup.Escape(cache));
        }

        console.Write(table);
        var failed = results.Count(r => !r.Ok);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"{results.Count - failed} of {results.Count} requests succeeded, {failed} failed."));
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static async Task<(int Line, string Status, string Cache, bool Ok)> SendAsync(HttpClient client, Settings settings, int line, string body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.Endpoint(Route))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(PriorityHeader.Name, "background");
        if (!string.IsNullOrEmpty(settings.ApiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.ApiKey);
        }

        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);

            // The whole answer is read: a stream cut short would not be stored.
            _ = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var cache = response.Headers.TryGetValues(OkomeCacheHeader.Name, out var values) ? string.Join(",", values) : "-";
            var status = string.Create(CultureInfo.InvariantCulture, $"{(int)response.StatusCode} {response.ReasonPhrase}");
            return (line, status, cache, response.IsSuccessStatusCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (line, "failed: " + ex.Message, "-", false);
        }
    }

    /// <summary>The command line of <c>okome prewarm</c>.</summary>
    internal sealed class Settings : ServiceUrlSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("JSON lines: one chat completion request body per line, exactly as a client would POST it; blank lines are skipped.")]
        public string File { get; init; } = "";

        [CommandOption("--api-key <KEY>")]
        [Description("Sent as Authorization: Bearer (cache entries are per API key, so warm with the key the clients use).")]
        public string? ApiKey { get; init; }

        [CommandOption("--timeout <SECONDS>")]
        [Description("How long one request may take. Default: 600.")]
        public int TimeoutSeconds { get; init; } = 600;

        public override ValidationResult Validate()
            => TimeoutSeconds is >= 1 and <= 86_400 ? base.Validate() : ValidationResult.Error("--timeout must be from 1 to 86400 seconds");
    }
}
