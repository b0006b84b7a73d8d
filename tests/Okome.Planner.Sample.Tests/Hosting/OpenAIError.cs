using System.Text.Json;

namespace Okome.Planner.Sample.Tests.Hosting;

/// <summary>Reads and checks the OpenAI error shape: <c>{"error":{"message":"...","type":"...","param":...,"code":...}}</c>.</summary>
public static class OpenAIError
{
    /// <summary>The <c>error</c> object of <paramref name="response"/>'s body, after checking the shape.</summary>
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/json", "an error body is OpenAI-style JSON");
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        using var json = JsonDocument.Parse(text);
        json.RootElement.ValueKind.Should().Be(JsonValueKind.Object, text);
        json.RootElement.TryGetProperty("error", out var error).Should().BeTrue("the body is {{\"error\":{{...}}}}: {0}", text);
        error.ValueKind.Should().Be(JsonValueKind.Object, text);
        error.TryGetProperty("message", out var message).Should().BeTrue(text);
        message.ValueKind.Should().Be(JsonValueKind.String, text);
        message.GetString().Should().NotBeNullOrWhiteSpace(text);
        error.TryGetProperty("type", out var type).Should().BeTrue(text);
        type.ValueKind.Should().Be(JsonValueKind.String, text);
        return error.Clone();
    }

    /// <summary>The <c>type</c> of <paramref name="error"/>.</summary>
    public static string? Type(this JsonElement error) => error.GetProperty("type").GetString();
}
