using System.Text;
using Okome.Planner.Sample.Api;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>The access line's token counts: the <c>usage</c> of an event stream split anywhere.</summary>
public sealed class ChatUsageReaderTests
{
    private const string Stream =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n"
        + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7,\"total_tokens\":19}}\r\n\r\n"
        + "data: [DONE]\n\n";

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(4096)]
    public void Observe_ChunksOfAnySize_ReadsTheUsage(int chunkSize)
    {
        var bytes = Encoding.UTF8.GetBytes(Stream);
        var reader = new ChatUsageReader();

        for (var offset = 0; offset < bytes.Length; offset += chunkSize)
        {
            reader.Observe(bytes.AsSpan(offset, Math.Min(chunkSize, bytes.Length - offset)));
        }

        reader.Usage.Should().Be(new ChatUsage(12, 7));
    }

    [Theory]
    [InlineData("data: {\"usage\":{\"prompt_tokens\":\"x\"}}\n")]
    [InlineData("data: {\"usage\": not json\n")]
    [InlineData("event: usage\ndata: [DONE]\n")]
    [InlineData("data: {\"choices\":[]}")]
    [InlineData("data: {\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}\n")]
    [InlineData("data: [{\"usage\":{\"prompt_tokens\":5}}]\n")]
    [InlineData("data: {\"usage\":null,\"x\":{\"usage\":{\"prompt_tokens\":5}}}\n")]
    public void Observe_NoUsableUsage_LeavesZeros(string stream)
    {
        var reader = new ChatUsageReader();

        reader.Observe(Encoding.UTF8.GetBytes(stream));

        reader.Usage.Should().Be(default(ChatUsage));
    }

    [Fact]
    public void Observe_UsageWithNestedDetails_ReadsTheTokens()
    {
        var reader = new ChatUsageReader();

        reader.Observe("data: {\"usage\":{\"prompt_tokens_details\":{\"cached_tokens\":4},\"prompt_tokens\":12,\"completion_tokens\":7,\"completion_tokens_details\":{\"reasoning_tokens\":[1,2]}},\"choices\":[{\"usage\":{\"prompt_tokens\":99}}]}\n"u8);

        reader.Usage.Should().Be(new ChatUsage(12, 7));
    }

    [Fact]
    public void Observe_UsageAfterSpaces_IsRead()
    {
        var reader = new ChatUsageReader();

        reader.Observe("data: {\"usage\":null} \ndata: {\"usage\" :\t {\"prompt_tokens\":3,\"completion_tokens\":4}}\n"u8);

        reader.Usage.Should().Be(new ChatUsage(3, 4));
    }

    [Theory]
    [InlineData(Stream)]
    [InlineData("data: {\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\ndata: {\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\ndata: {\"usage\":null}\n\n")]
    [InlineData("data: {\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\ndata: {\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}")]
    [InlineData("data: {\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6}}\ndata: {\"usage\": not json\n")]
    [InlineData("\n\n\n")]
    [InlineData("")]
    [InlineData("data: {\"usage\":{\"prompt_tokens\":\"x\"}}\n")]
    [InlineData("data: {\"usage\":null,\"x\":{\"usage\":{\"prompt_tokens\":5}}}\n")]
    [InlineData("data: {\"usage\" :\t {\"prompt_tokens\":3,\"completion_tokens\":4}} \r\n: comment\n")]
    public void ObserveWhole_AnyStream_ReadsWhatTheForwardPassReads(string stream)
    {
        var bytes = Encoding.UTF8.GetBytes(stream);
        var forward = new ChatUsageReader();
        forward.Observe(bytes);
        var whole = new ChatUsageReader();

        whole.ObserveWhole(bytes);

        whole.Usage.Should().Be(forward.Usage);
    }

    [Fact]
    public void ObserveWhole_StoredCompletion_ReadsItsLastUsage()
    {
        var reader = new ChatUsageReader();

        reader.ObserveWhole(Encoding.UTF8.GetBytes(Stream));

        reader.Usage.Should().Be(new ChatUsage(12, 7));
    }

    [Fact]
    public void ObserveStored_SameBodyAgainAndAnotherSliceOfItsArray_EachReadsItsOwnUsage()
    {
        var first = "data: {\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n";
        var second = "data: {\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n";
        var array = Encoding.UTF8.GetBytes(first + second + "data: [DONE]\n\n");
        var whole = array.AsMemory();
        var firstOnly = array.AsMemory(0, Encoding.UTF8.GetByteCount(first));

        var readings = new[] { whole, whole, firstOnly, whole, ReadOnlyMemory<byte>.Empty }.Select(body =>
        {
            var reader = new ChatUsageReader();
            reader.ObserveStored(body);
            return reader.Usage;
        });

        readings.Should().Equal(new ChatUsage(3, 4), new ChatUsage(3, 4), new ChatUsage(1, 2), new ChatUsage(3, 4), default(ChatUsage));
    }
}
