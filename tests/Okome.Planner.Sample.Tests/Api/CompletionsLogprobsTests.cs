using System.Text;
using System.Text.Json.Nodes;
using Okome.Planner.Sample.Api;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>
/// Legacy <c>text_completion</c> chunks assembled into the non-streamed answer: each choice's <c>logprobs</c> in the legacy
/// shape (parallel <c>tokens</c>, <c>token_logprobs</c>, <c>top_logprobs</c>, <c>text_offset</c>), kept parallel when a
/// chunk lacks an array.
/// </summary>
public sealed class CompletionsLogprobsTests
{
    private const string Head = "\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1700000000,\"model\":\"m\",\"system_fingerprint\":\"fp_1\"";

    [Fact]
    public void TryAssemble_TwoChoicesInterleaved_EachGetsItsOwnLogprobsInOrder_AndItsFinishReason()
    {
        var completion = Assemble(
            Chunk("{\"index\":1,\"text\":\"Hi\",\"logprobs\":{\"tokens\":[\"Hi\"],\"token_logprobs\":[-0.5],\"top_logprobs\":[{\"Hi\":-0.5}],\"text_offset\":[0]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"text\":\"Hello\",\"logprobs\":{\"tokens\":[\"Hello\"],\"token_logprobs\":[-0.1],\"top_logprobs\":[{\"Hello\":-0.1}],\"text_offset\":[0]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"text\":\" you\",\"logprobs\":{\"tokens\":[\" you\"],\"token_logprobs\":[-0.2],\"top_logprobs\":[{\" you\":-0.2}],\"text_offset\":[5]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"text\":\"\",\"logprobs\":null,\"finish_reason\":\"stop\"}"),
            Chunk("{\"index\":1,\"text\":\"\",\"logprobs\":null,\"finish_reason\":\"length\"}"));

        completion["object"]!.GetValue<string>().Should().Be("text_completion");
        completion["system_fingerprint"]!.GetValue<string>().Should().Be("fp_1");
        var first = completion["choices"]![0]!;
        first["index"]!.GetValue<int>().Should().Be(0);
        first["text"]!.GetValue<string>().Should().Be("Hello you");
        first["finish_reason"]!.GetValue<string>().Should().Be("stop");
        first["logprobs"]!.ToJsonString().Should().Be(
            "{\"tokens\":[\"Hello\",\" you\"],\"token_logprobs\":[-0.1,-0.2],\"top_logprobs\":[{\"Hello\":-0.1},{\" you\":-0.2}],\"text_offset\":[0,5]}");
        var second = completion["choices"]![1]!;
        second["finish_reason"]!.GetValue<string>().Should().Be("length");
        second["logprobs"]!.ToJsonString().Should().Be("{\"tokens\":[\"Hi\"],\"token_logprobs\":[-0.5],\"top_logprobs\":[{\"Hi\":-0.5}],\"text_offset\":[0]}");
    }

    [Fact]
    public void TryAssemble_AChunkWithoutTopLogprobs_GetsNullsInItsPlace_SoTheArraysStayParallel()
    {
        var completion = Assemble(
            Chunk("{\"index\":0,\"text\":\"a\",\"logprobs\":{\"tokens\":[\"a\"],\"token_logprobs\":[-1.0],\"text_offset\":[0]},\"finish_reason\":null}"),
            Chunk("{\"index\":0,\"text\":\"bc\",\"logprobs\":{\"tokens\":[\"b\",\"c\"],\"token_logprobs\":[-2.0,-3.0],\"top_logprobs\":[{\"b\":-2.0},{\"c\":-3.0}],\"text_offset\":[1,2]},\"finish_reason\":\"stop\"}"));

        completion["choices"]![0]!["logprobs"]!.ToJsonString().Should().Be(
            "{\"tokens\":[\"a\",\"b\",\"c\"],\"token_logprobs\":[-1.0,-2.0,-3.0],\"top_logprobs\":[null,{\"b\":-2.0},{\"c\":-3.0}],\"text_offset\":[0,1,2]}");
    }

    [Fact]
    public void TryAssemble_NoLogprobsAsked_ChoiceLogprobsIsNull()
    {
        var completion = Assemble(Chunk("{\"index\":0,\"text\":\"a\",\"logprobs\":null,\"finish_reason\":\"stop\"}"));

        completion["choices"]![0]!["logprobs"].Should().BeNull();
        completion["choices"]![0]!.AsObject().ContainsKey("logprobs").Should().BeTrue("the legacy shape always has the member");
    }

    private static string Chunk(string choice) => "data: {" + Head + ",\"choices\":[" + choice + "]}\n\n";

    private static JsonNode Assemble(params string[] chunks)
    {
        var events = Encoding.UTF8.GetBytes(string.Concat(chunks) + "data: [DONE]\n\n");
        ChatCompletionAssembler.TryAssemble(events, 3, out var completion, out var error).Should().BeTrue(error);
        return JsonNode.Parse(completion)!;
    }
}
