using System.ComponentModel;
using System.Globalization;
using System.IO.Compression;
using Okome.Tool.AccessLog;
using Okome.Tool.Output;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Okome.Tool.Commands;

/// <summary><c>okome hit-ratio &lt;log&gt;</c>: cache statuses and hit ratio from the access log, overall, per route, per hour.</summary>
internal sealed class HitRatioCommand(IAnsiConsole console) : AsyncCommand<HitRatioCommand.Settings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var report = new HitRatioReport();
        foreach (var log in settings.Logs)
        {
            if (!File.Exists(log))
            {
                console.MarkupLine("[red]✗[/] access log not found: " + Markup.Escape(Path.GetFullPath(log)));
                return ExitCodes.Usage;
            }
        }

        foreach (var log in settings.Logs)
        {
            // Rotated logs are usually compressed: *.gz is read through gzip.
            await using var file = File.OpenRead(log);
            await using Stream stream = log.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var reader = new StreamReader(stream);
            await AccessLogReader.ReadAsync(reader, report, cancellationToken).ConfigureAwait(false);
        }

        var routes = settings.By is null or "route";
        var hours = settings.By is null or "hour";
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(HitRatioJson.Write(report, routes, hours));
            return ExitCodes.Ok;
        }

        console.Write(Table("overall", [("all requests", report.Overall)]));
        if (routes)
        {
            console.Write(Table("route", report.ByRoute.Select(r => (r.Key, r.Value))));
        }

        if (hours)
        {
            console.Write(Table("hour (UTC)", report.ByHour.Select(r => (r.Key, r.Value))));
        }

        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.Overall.Requests} access lines; {report.SkippedLines} other lines skipped. Hit ratio = (HIT + STALE + UPDATING + REVALIDATED) / requests."));
        return ExitCodes.Ok;
    }

    private static Table Table(string scope, IEnumerable<(string Name, HitRatioCounts Counts)> rows)
    {
        var table = new Table().AddColumn(scope);
        foreach (var column in (string[])["requests", "HIT", "MISS", "EXPIRED", "STALE", "UPDATING", "REVALIDATED", "BYPASS", "none", "other", "hit ratio"])
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (var (name, counts) in rows)
        {
            table.AddRow(
                Markup.Escape(name),
                N(counts.Requests), N(counts.Hit), N(counts.Miss), N(counts.Expired), N(counts.Stale), N(counts.Updating),
                N(counts.Revalidated), N(counts.Bypass), N(counts.None), N(counts.Other),
                counts.HitRatio is { } ratio ? ratio.ToString("0.0 %", CultureInfo.InvariantCulture) : "-");
        }

        return table;
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The command line of <c>okome hit-ratio</c>.</summary>
    internal sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<LOG>")]
        [Description("Access logs, counted together: JSON lines of category Okome.Access (other lines are skipped and counted); *.gz is decompressed; /dev/stdin reads a pipe.")]
        public string[] Logs { get; init; } = [];

        [CommandOption("--by <route|hour>")]
        [Description("Only the per-route or only the per-hour breakdown (both by default).")]
        public string? By { get; init; }

        [CommandOption("--json")]
        [Description("Prints the counts as one JSON document instead of tables.")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
            => By is null or "route" or "hour" ? ValidationResult.Success() : ValidationResult.Error("--by must be route or hour");
    }
}
