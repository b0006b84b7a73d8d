using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Operations;

/// <summary>OpenTelemetry: OTLP export of traces and metrics when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; the resource names.</summary>
public sealed class TelemetryExportTests
{
    [Fact]
    public async Task OtlpEndpointSet_TracesAndMetricsAreExported()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        bed.With("OTEL_EXPORTER_OTLP_ENDPOINT", collector.Endpoint.ToString().TrimEnd('/'))
            .With("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .With("OTEL_BSP_SCHEDULE_DELAY", 100)
            .With("OTEL_METRIC_EXPORT_INTERVAL", 100);
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(30);

        using (var response = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false)), ct))
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            await response.Content.ReadAsStringAsync(ct);
        }

        while (collector.Received("/v1/traces") == 0 || collector.Received("/v1/metrics") == 0)
        {
            await Task.Delay(20, ct);
        }
    }

    [Fact]
    public async Task OtlpEndpointNotSet_NoTracerIsRegistered_AndMetricsAreStillScraped()
    {
        // Traces without a collector would go nowhere, yet cost every request its activities: none are made.
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        var instance = bed.StartInstance(); // the testbed disposes it
        using var client = instance.CreateClient();

        instance.Services.GetService<TracerProvider>().Should().BeNull();
        var scrape = await MetricsScrape.GetAsync(client, Chat.Within(30));
        scrape.Text.Should().Contain("target_info");
    }

    [Fact]
    public async Task OtlpEndpointSet_TheTracerIsRegistered()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        bed.With("OTEL_EXPORTER_OTLP_ENDPOINT", collector.Endpoint.ToString().TrimEnd('/'));
        var instance = bed.StartInstance(); // the testbed disposes it

        instance.Services.GetService<TracerProvider>().Should().NotBeNull();
    }

    [Fact]
    public async Task ServiceNameAndInstanceId_FromConfiguration_AreTheResourceOfTheMetrics()
    {
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        bed.With("Okome:Telemetry:ServiceName", "okome-eu").With("Okome:Telemetry:InstanceId", "front-7");
        using var client = bed.StartInstance().CreateClient();

        var scrape = await MetricsScrape.GetAsync(client, Chat.Within(30));

        scrape.Text.Should().MatchRegex("target_info\\{[^}]*service_name=\"okome-eu\"").And.MatchRegex("target_info\\{[^}]*service_instance_id=\"front-7\"");
    }
}
