using System.Text.Json;
using System.Text.RegularExpressions;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Operations;

/// <summary>
/// The Grafana dashboard <c>deploy/grafana/okome.json</c>: it imports (the Grafana schema fields are there), and every
/// metric its PromQL queries is in a <c>/metrics</c> scrape of the service after a scripted run — so the dashboard cannot
/// rot silently when a metric is renamed.
/// </summary>
[Collection(ExactMetrics.Name)]
public sealed partial class DashboardTests
{
    private static readonly HashSet<string> PromQlWords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    };

    [Fact]
    public void Dashboard_Json_HasTheGrafanaSchemaFields()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(DashboardPath()));
        var root = json.RootElement;

        root.GetProperty("title").GetString().Should().NotBeNullOrWhiteSpace();
        root.GetProperty("uid").GetString().Should().NotBeNullOrWhiteSpace();
        root.GetProperty("schemaVersion").GetInt32().Should().BePositive();
        root.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Should().Contain(variable => variable.GetProperty("name").GetString() == "datasource" && variable.GetProperty("type").GetString() == "datasource");
        var panels = root.GetProperty("panels").EnumerateArray().ToList();
        panels.Should().NotBeEmpty();
        panels.Select(panel => panel.GetProperty("id").GetInt32()).Should().OnlyHaveUniqueItems();
        foreach (var panel in panels)
        {
            var title = panel.GetProperty("title").GetString();
            var grid = panel.GetProperty("gridPos");
            foreach (var field in new[] { "h", "w", "x", "y" })
            {
                grid.GetProperty(field).GetInt32().Should().BeGreaterThanOrEqualTo(0, "panel {0} has gridPos.{1}", title, field);
            }

            if (panel.GetProperty("type").GetString() == "row")
            {
                continue;
            }

            panel.GetProperty("datasource").GetProperty("uid").GetString().Should().Be("${datasource}", title);
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            targets.Should().NotBeEmpty("panel {0} queries something", title);
            foreach (var target in targets)
            {
                target.GetProperty("expr").GetString().Should().NotBeNullOrWhiteSpace(title);
                target.GetProperty("datasource").GetProperty("uid").GetString().Should().Be("${datasource}", title);
            }
        }
    }

    [Fact]
    public async Task Dashboard_EveryQueriedMetric_IsInTheScrapeOfAScriptedRun()
    {
        var metrics = MetricNames(DashboardPath());
        metrics.Should().Contain(["okome_planner_responses_total", "okome_budget_decisions_total"], "the extraction finds the dashboard's metrics");

        await using var bed = ScriptedRun.Configure(await ServiceTestbed.StartAsync())
            .With("Okome:Health:IntervalSeconds", 1).With("Okome:Health:TimeoutSeconds", 1).With("Okome:Health:Rise", 1).With("Okome:Health:Fall", 1)
            .With("Okome:StoreTimeoutMs", 1500);
        var service = bed.StartInstance();
        using var client = service.CreateClient();
        var ct = Chat.Within(90);
        await ScriptedRun.SendAsync(client, ct);

        // Some counters count only trouble: store errors and budget fallbacks, upstream errors, failed tries and health changes. The run
        // makes that trouble happen (Redis dies while the upstream is up, then the upstream fails) instead of leaving those
        // metrics unchecked.
        bed.Redis!.Kill();
        await SendChatAsync(client, ct);
        bed.Upstream.FailStatus = 503; // a failure another host could fix: counted as a failed try (passive health)
        bed.Upstream.Fail = true;
        await SendChatAsync(client, ct);
        var (scrape, missing) = await ScrapeUntilAsync(client, metrics, ct);

        missing.Should().BeEmpty("every metric the dashboard queries must be exposed; missing: {0}; the scrape has:\n{1}",
            string.Join(", ", missing), string.Join('\n', scrape.Names.Order(StringComparer.Ordinal)));
    }

    /// <summary>The metric names of every <c>expr</c> of the dashboard (label matchers, groupings, ranges and functions left out).</summary>
    internal static IReadOnlySet<string> MetricNames(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var panel in json.RootElement.GetProperty("panels").EnumerateArray())
        {
            if (!panel.TryGetProperty("targets", out var targets))
            {
                continue;
            }

            foreach (var target in targets.EnumerateArray())
            {
                var expr = target.GetProperty("expr").GetString() ?? "";
                expr = Matchers().Replace(expr, " ");
                expr = Grouping().Replace(expr, " ");
                expr = Range().Replace(expr, " ");
                foreach (Match identifier in Identifier().Matches(expr))
                {
                    if (!PromQlWords.Contains(identifier.Value))
                    {
                        names.Add(identifier.Value);
                    }
                }
            }
        }

        return names;
    }

    internal static string DashboardPath()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "deploy", "grafana", "okome.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("deploy/grafana/okome.json was not found above " + AppContext.BaseDirectory);
    }

    private static async Task SendChatAsync(HttpClient client, CancellationToken cancellationToken)
    {
        // A key of its own: the scripted run used up its key's budget (its last request is a 429).
        using var request = Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false), "sk-dashboard-trouble");
        using var response = await client.SendAsync(request, cancellationToken);
        await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    /// <summary>Scrapes until every one of <paramref name="names"/> is there, or 30 s have passed (then returns what is missing).</summary>
    private static async Task<(MetricsScrape Scrape, List<string> Missing)> ScrapeUntilAsync(HttpClient client, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        var deadline = Chat.Within(30);
        while (true)
        {
            var scrape = await MetricsScrape.GetAsync(client, cancellationToken);
            var missing = names.Where(name => !scrape.Names.Contains(name)).Order(StringComparer.Ordinal).ToList();
            if (missing.Count == 0 || deadline.IsCancellationRequested)
            {
                return (scrape, missing);
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Range();

    // An identifier not followed by '(' (a function) and not part of a number.
    [GeneratedRegex(@"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()")]
    private static partial Regex Identifier();
}
