using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Okome.Planner.Sample.Api;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>
/// The cached event stream assembled into the <c>chat.completion</c> an OpenAI-compatible server sends for
/// <c>"stream": false</c>: tool calls from their deltas, logprobs, refusals, <c>n &gt; 1</c> choices.
/// </summary>
public sealed class ChatCompletionAssemblerTests
{
    private const long EstimatedPromptTokens = 7;

    private const string Head = "\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",\"system_fingerprint\":\"fp_1\"";

    [Fact]
    public void TryAssemble_TwoParallelToolCallsInFragments_AssemblesEachCallInIndexOrder()
    {
        // Fragments of the two calls interleave, and the second call's first delta arrives before the first call's.
        var completion = Assemble(
            Chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"\"}}]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"ci\"}}]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{\\\"tz\\\":\"}}]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"ty\\\":\\\"Paris\\\"}\"}}]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"\\\"UTC\\\"}\"}}]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}"));

        var choice = completion["choices"]![0]!;
        var calls = choice["message"]!["tool_calls"]!.AsArray();
        calls.Should().HaveCount(2);
        Call(calls[0]!).Should().Be(("call_a", "function", "get_weather", "{\"city\":\"Paris\"}"));
        Call(calls[1]!).Should().Be(("call_b", "function", "get_time", "{\"tz\":\"UTC\"}"));
        choice["finish_reason"]!.GetValue<string>().Should().Be("tool_calls");
    }

    [Fact]
    public void TryAssemble_ToolCallAnswer_IsTheJsonOpenAISendsForStreamFalse()
    {
        var completion = Assemble(
            Chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}],\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]},\"logprobs\":null,\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]},\"logprobs\":null,\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}"),
            "{" + Head + ",\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":9,\"total_tokens\":59}}");

        var expected = JsonNode.Parse("""
            {
              "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "m",
              "choices": [{
                "index": 0,
                "message": {
                  "role": "assistant", "content": null, "refusal": null,
                  "tool_calls": [{ "id": "call_a", "type": "function", "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" } }]
                },
                "logprobs": null,
                "finish_reason": "tool_calls"
              }],
              "usage": { "prompt_tokens": 50, "completion_tokens": 9, "total_tokens": 59 },
              "system_fingerprint": "fp_1"
            }
            """);
        JsonNode.DeepEquals(completion, expected).Should().BeTrue(completion.ToJsonString());
    }

    [Fact]
    public void TryAssemble_TextAnswer_HasANullRefusalAndNoToolCalls()
    {
        var completion = Assemble(
            Chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}"));

        var message = completion["choices"]![0]!["message"]!.AsObject();
        message["content"]!.GetValue<string>().Should().Be("Hi");
        message.ContainsKey("refusal").Should().BeTrue("OpenAI sends \"refusal\": null");
        message["refusal"].Should().BeNull();
        message.ContainsKey("tool_calls").Should().BeFalse();
        completion["choices"]![0]!.AsObject().ContainsKey("logprobs").Should().BeTrue();
        completion["choices"]![0]!["logprobs"].Should().BeNull();
    }

    [Fact]
    public void TryAssemble_ContentAndToolCall_KeepsBoth()
    {
        var completion = Assemble(
            Chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Let me check.\"},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}"));

        var message = completion["choices"]![0]!["message"]!;
        message["content"]!.GetValue<string>().Should().Be("Let me check.");
        Call(message["tool_calls"]![0]!).Should().Be(("call_a", "function", "f", "{}"));
    }

    [Fact]
    public void TryAssemble_ToolCallOnlyStreamWithoutUsage_EstimatesCompletionTokensFromTheArgumentFragments()
    {
        var completion = Assemble(
            Chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}"));

        var usage = completion["usage"]!;
        usage["completion_tokens"]!.GetValue<long>().Should().Be(2, "two argument fragments were generated");
        usage["prompt_tokens"]!.GetValue<long>().Should().Be(EstimatedPromptTokens);
        usage["total_tokens"]!.GetValue<long>().Should().Be(EstimatedPromptTokens + 2);
    }

    [Fact]
    public void TryAssemble_ToolCallDeltasWithoutIndex_ContinueTheLastCallUntilANewIdStartsOne()
    {
        var completion = Assemble(
            Chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\"\"}}]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\":1}\"}}]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}"));

        var calls = completion["choices"]![0]!["message"]!["tool_calls"]!.AsArray();
        calls.Select(c => Call(c!)).Should().Equal(("call_a", "function", "f", "{\"x\":1}"), ("call_b", "function", "g", "{}"));
    }

    [Fact]
    public void TryAssemble_LegacyFunctionCall_IsAssembled()
    {
        var completion = Assemble(
            Chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"function_call\":{\"name\":\"f\",\"arguments\":\"\"}},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"function_call\":{\"arguments\":\"{\\\"a\\\"\"}},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"function_call\":{\"arguments\":\":2}\"}},\"finish_reason\":\"function_call\"}"));

        var message = completion["choices"]![0]!["message"]!;
        message["content"].Should().BeNull();
        message["function_call"]!["name"]!.GetValue<string>().Should().Be("f");
        message["function_call"]!["arguments"]!.GetValue<string>().Should().Be("{\"a\":2}");
    }

    [Fact]
    public void TryAssemble_TwoChoices_EachHasItsTextAndFinishReasonInIndexOrder()
    {
        // Choice 1's first chunk arrives first; the answer still lists choice 0 first.
        var completion = Assemble(
            Chunk("{\"index\":1,\"delta\":{\"role\":\"assistant\",\"content\":\"B\"},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"A\"},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":null}"),
            Chunk("{\"index\":1,\"delta\":{\"content\":\"b\"},\"finish_reason\":null}"),
            Chunk("{\"index\":1,\"delta\":{},\"finish_reason\":\"length\"}"),
            Chunk("{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}"));

        var choices = completion["choices"]!.AsArray();
        choices.Select(c => (c!["index"]!.GetValue<int>(), c["message"]!["content"]!.GetValue<string>(), c["finish_reason"]!.GetValue<string>()))
            .Should().Equal((0, "Aa", "stop"), (1, "Bb", "length"));
        completion["usage"]!["completion_tokens"]!.GetValue<long>().Should().Be(4, "the estimate counts every choice's fragments");
    }

    [Fact]
    public void TryAssemble_Logprobs_AreConcatenatedPerChoice()
    {
        var completion = Assemble(
            Chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"logprobs\":{\"content\":[{\"token\":\"Hi\",\"logprob\":-0.5,\"bytes\":[72,105],\"top_logprobs\":[]}],\"refusal\":null},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"content\":\"!\"},\"logprobs\":{\"content\":[{\"token\":\"!\",\"logprob\":-1.25,\"bytes\":[33],\"top_logprobs\":[{\"token\":\"!\",\"logprob\":-1.25,\"bytes\":[33]}]}],\"refusal\":null},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}"));

        var expected = JsonNode.Parse("""
            {
              "content": [
                { "token": "Hi", "logprob": -0.5, "bytes": [72, 105], "top_logprobs": [] },
                { "token": "!", "logprob": -1.25, "bytes": [33], "top_logprobs": [{ "token": "!", "logprob": -1.25, "bytes": [33] }] }
              ],
              "refusal": null
            }
            """);
        var logprobs = completion["choices"]![0]!["logprobs"];
        JsonNode.DeepEquals(logprobs, expected).Should().BeTrue(logprobs?.ToJsonString());
    }

    [Fact]
    public void TryAssemble_Refusal_IsConcatenatedWithItsLogprobsAndNullContent()
    {
        var completion = Assemble(
            Chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"refusal\":\"I can't\"},\"logprobs\":{\"content\":null,\"refusal\":[{\"token\":\"I can't\",\"logprob\":-0.1,\"bytes\":null,\"top_logprobs\":[]}]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{\"refusal\":\" help.\"},\"logprobs\":{\"content\":null,\"refusal\":[{\"token\":\" help.\",\"logprob\":-0.2,\"bytes\":null,\"top_logprobs\":[]}]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}"));

        var choice = completion["choices"]![0]!;
        choice["message"]!["content"].Should().BeNull();
        choice["message"]!["refusal"]!.GetValue<string>().Should().Be("I can't help.");
        choice["logprobs"]!["content"].Should().BeNull();
        choice["logprobs"]!["refusal"]!.AsArray().Select(t => t!["token"]!.GetValue<string>()).Should().Equal("I can't", " help.");
    }

    [Fact]
    public void TryAssemble_ServiceTierAndFingerprint_AreKept()
    {
        var completion = Assemble(
            "{" + Head + ",\"service_tier\":\"default\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}");

        completion["service_tier"]!.GetValue<string>().Should().Be("default");
        completion["system_fingerprint"]!.GetValue<string>().Should().Be("fp_1");
    }

    [Fact]
    public void TryAssemble_NumbersOfTheWrongKind_AreIgnoredNotThrown()
    {
        var completion = Assemble(
            "{\"id\":\"c\",\"created\":\"soon\",\"choices\":[{\"index\":null,\"delta\":{\"content\":\"x\",\"tool_calls\":[{\"index\":\"0\",\"id\":\"call_a\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}");

        completion["created"]!.GetValue<long>().Should().Be(0);
        completion["choices"]![0]!["index"]!.GetValue<int>().Should().Be(0);
        Call(completion["choices"]![0]!["message"]!["tool_calls"]![0]!).Should().Be(("call_a", "function", "f", "{}"));
    }

    [Fact]
    public void TryAssemble_NoChunk_Fails()
    {
        ChatCompletionAssembler.TryAssemble("data: [DONE]\n\n"u8, EstimatedPromptTokens, out _, out var error).Should().BeFalse();
        error.Should().NotBeEmpty();
    }

    private static string Chunk(string choice) => "{" + Head + ",\"choices\":[" + choice + "]}";

    private static JsonNode Assemble(params string[] chunks)
    {
        var stream = new StringBuilder();
        foreach (var chunk in chunks)
        {
            stream.Append("data: ").Append(chunk).Append("\n\n");
        }

        stream.Append("data: [DONE]\n\n");
        ChatCompletionAssembler.TryAssemble(Encoding.UTF8.GetBytes(stream.ToString()), EstimatedPromptTokens, out var completion, out var error)
            .Should().BeTrue(error);
        return JsonNode.Parse(completion)!;
    }

    private static (string Id, string Type, string Name, string Arguments) Call(JsonNode call)
        => (call["id"]!.GetValue<string>(), call["type"]!.GetValue<string>(), call["function"]!["name"]!.GetValue<string>(), call["function"]!["arguments"]!.GetValue<string>());
}
