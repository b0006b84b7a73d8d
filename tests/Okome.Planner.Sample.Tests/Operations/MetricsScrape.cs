using System.Globalization;
using System.Text.RegularExpressions;

namespace Okome.Planner.Sample.Tests.Operations;

/// <summary>A <c>/metrics</c> scrape in the Prometheus text format: the metric names it holds and the samples of one metric.</summary>
public sealed partial class MetricsScrape
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    private MetricsScrape(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n'))
        {
            var match = SampleLine().Match(line.TrimEnd('\r'));
            if (!match.Success)
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in Label().Matches(match.Groups["labels"].Value))
            {
                labels[label.Groups["name"].Value] = label.Groups["value"].Value;
            }

            _samples.Add((match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>The scrape's text.</summary>
    public string Text { get; }

    /// <summary>Every metric name with at least one sample.</summary>
    public IReadOnlySet<string> Names => _samples.Select(sample => sample.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>Scrapes <c>GET /metrics</c>.</summary>
    public static async Task<MetricsScrape> GetAsync(HttpClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.GetAsync("/metrics", cancellationToken);
        response.EnsureSuccessStatusCode();
        return new MetricsScrape(await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>The sum of <paramref name="name"/>'s samples whose label <paramref name="label"/> passes <paramref name="accept"/>.</summary>
    public double Sum(string name, string label, Func<string?, bool> accept)
        => _samples.Where(sample => sample.Name == name && accept(sample.Labels.GetValueOrDefault(label))).Sum(sample => sample.Value);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>[-+0-9.eEInfNa]+)(\s+\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex("(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=\"(?<value>(?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex Label();
}
