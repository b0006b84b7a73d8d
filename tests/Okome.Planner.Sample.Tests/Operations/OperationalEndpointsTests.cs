using System.Net;
using System.Text.Json;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Operations;

/// <summary><c>GET /health</c>, <c>GET /v1/models</c> and <c>GET /metrics</c>.</summary>
public sealed class OperationalEndpointsTests
{
    [Fact]
    public async Task Health_StoreAndUpstreamUp_Returns200WithStoreUpstreamsAndMaintenance()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(30);

        using var response = await client.GetAsync("/health", ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        var text = await response.Content.ReadAsStringAsync(ct);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        root.GetProperty("store").GetString().Should().Be("redis", text);
        root.GetProperty("storeUp").GetBoolean().Should().BeTrue(text);
        root.GetProperty("upstreams").ValueKind.Should().Be(JsonValueKind.Object, text);
        root.GetProperty("upstreams").TryGetProperty("stable", out _).Should().BeTrue(text);
        root.GetProperty("maintenance").GetBoolean().Should().BeFalse(text);
        root.GetProperty("status").GetString().Should().NotBeNullOrEmpty(text);
    }

    [Fact]
    public async Task Health_WithoutRedis_ReportsInMemoryStore()
    {
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(30);

        using var response = await client.GetAsync("/health", ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var text = await response.Content.ReadAsStringAsync(ct);
        using var json = JsonDocument.Parse(text);
        json.RootElement.GetProperty("store").GetString().Should().Be("in-memory", text);
    }

    [Fact]
    public async Task Models_Get_ListsTheUpstreamModels()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(30);

        using var response = await client.GetAsync("/v1/models", ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var text = await response.Content.ReadAsStringAsync(ct);
        using var json = JsonDocument.Parse(text);
        json.RootElement.GetProperty("object").GetString().Should().Be("list", text);
        json.RootElement.GetProperty("data").EnumerateArray().Select(model => model.GetProperty("id").GetString())
            .Should().Contain(Fakes.FakeOpenAIUpstream.Model, text);
    }

    [Fact]
    public async Task Metrics_AfterARequest_ExposesOkomeMetricsAsPrometheusText()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(30);
        using (var completion = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false)), ct))
        {
            completion.StatusCode.Should().Be(HttpStatusCode.OK);
            await completion.Content.ReadAsStringAsync(ct);
        }

        using var response = await client.GetAsync("/metrics", ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().BeOneOf("text/plain", "application/openmetrics-text");
        var text = await response.Content.ReadAsStringAsync(ct);
        text.Should().Contain("okome_");
        text.Split('\n').Should().Contain(line => line.StartsWith("# TYPE okome_", StringComparison.Ordinal), "Prometheus exposition declares metric types");
    }
}
