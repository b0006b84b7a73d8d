using System.Text;
using Okome.Planner.Execution;

namespace Okome.Planner.Tests.Execution;

public sealed class OpenAIUsageMeterTests
{
    private const string Stream =
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n" +
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n" +
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo \\\"you\\\"\"}}]}\n\n" +
        ": keep-alive comment\n\n" +
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"}}]}\r\n\r\n" +
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";

    private const string Usage = "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}\n\n";

    [Fact]
    public void Cost_StreamWithoutUsage_CountsContentEvents()
    {
        var meter = Feed(Stream + "data: [DONE]\n\n");

        meter.Cost.Should().Be(3);
        meter.HasUsage.Should().BeFalse();
    }

    [Fact]
    public void Cost_StreamWithUsage_IsTotalTokens()
    {
        var meter = Feed(Stream + Usage + "data: [DONE]\n\n");

        meter.Cost.Should().Be(15);
        meter.HasUsage.Should().BeTrue();
    }

    [Fact]
    public void Cost_StreamSplitAtEveryPossiblePlace_SameCost()
    {
        var bytes = Encoding.UTF8.GetBytes(Stream + Usage + "data: [DONE]\n\n");
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var meter = new OpenAIUsageMeter();
            meter.Observe(bytes.AsSpan(0, cut));
            meter.Observe(bytes.AsSpan(cut));
            meter.Cost.Should().Be(15, $"cut at {cut}");
        }
    }

    [Fact]
    public void Cost_StreamByteByByte_SameCost()
    {
        var bytes = Encoding.UTF8.GetBytes(Stream);
        var meter = new OpenAIUsageMeter();
        foreach (var b in bytes)
        {
            meter.Observe([b]);
        }

        meter.Cost.Should().Be(3);
    }

    [Fact]
    public void Cost_ChatCompletionJson_IsTotalTokens()
    {
        const string body = """
            {
              "id": "chatcmpl-1", "object": "chat.completion",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "say \"total_tokens\": 999"}, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}
            }
            """;

        var meter = Feed(body, chunk: 7);

        meter.Cost.Should().Be(21);
        meter.HasUsage.Should().BeTrue();
    }

    [Fact]
    public void Cost_JsonWithoutUsage_IsZero()
    {
        var meter = Feed("{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}");

        meter.Cost.Should().Be(0);
    }

    [Fact]
    public void Observe_HugeLineWithoutNewline_KeepsBoundedMemoryAndCountsLaterEvents()
    {
        var meter = new OpenAIUsageMeter();
        var junk = new byte[OpenAIUsageMeter.MaxLineBytes / 4];
        Array.Fill(junk, (byte)'x');
        for (var i = 0; i < 40; i++)
        {
            meter.Observe("data: "u8);
            meter.Observe(junk);
        }

        meter.Observe("\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\n"u8);

        meter.Cost.Should().Be(1);
    }

    [Fact]
    public void Observe_RandomBytesAndMutations_NeverThrows()
    {
        var random = new Random(42);
        var valid = Encoding.UTF8.GetBytes(Stream + Usage);
        for (var run = 0; run < 2000; run++)
        {
            var meter = new OpenAIUsageMeter();
            var bytes = run % 2 == 0 ? new byte[random.Next(0, 400)] : (byte[])valid.Clone();
            if (run % 2 == 0)
            {
                random.NextBytes(bytes);
            }
            else
            {
                for (var m = 0; m < 5; m++)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }
            }

            var offset = 0;
            while (offset < bytes.Length)
            {
                var length = Math.Min(random.Next(1, 64), bytes.Length - offset);
                meter.Observe(bytes.AsSpan(offset, length));
                offset += length;
            }

            meter.Cost.Should().BeGreaterThanOrEqualTo(0);
        }
    }

    private static OpenAIUsageMeter Feed(string text, int chunk = 11)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var meter = new OpenAIUsageMeter();
        for (var offset = 0; offset < bytes.Length; offset += chunk)
        {
            meter.Observe(bytes.AsSpan(offset, Math.Min(chunk, bytes.Length - offset)));
        }

        return meter;
    }
}
