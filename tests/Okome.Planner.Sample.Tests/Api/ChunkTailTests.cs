using System.Text;
using Okome.Planner.Sample.Api;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>A replay's usage read from its last chunks only (<see cref="ChunkTail"/>).</summary>
public sealed class ChunkTailTests
{
    private const string Usage =
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7,\"total_tokens\":19}}\n\n"
        + "data: [DONE]\n\n";

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(1500)]
    [InlineData(1 << 20)]
    public void ObserveInto_LongStreamInChunksOfSize_ReadsTheLastUsage(int chunkSize)
    {
        // 300 content events (~24 KB, far more than the tail keeps), one early usage that must not win, the real one last.
        var builder = new StringBuilder("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\n");
        for (var i = 0; i < 300; i++)
        {
            builder.Append("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"token number ").Append(i).Append("\"}}],\"usage\":null}\n\n");
        }

        var bytes = Encoding.UTF8.GetBytes(builder.Append(Usage).ToString());
        var tail = new ChunkTail();
        for (var offset = 0; offset < bytes.Length; offset += chunkSize)
        {
            tail.Add(bytes.AsMemory(offset, Math.Min(chunkSize, bytes.Length - offset)));
        }

        var reader = new ChatUsageReader();
        tail.ObserveInto(reader);

        // 1-byte chunks: the usage event is longer than the MaxChunks chunks the tail keeps, so it is not found (the documented limit).
        reader.Usage.Should().Be(chunkSize == 1 ? default : new ChatUsage(12, 7));
    }

    [Fact]
    public void ObserveInto_NoChunks_LeavesZeros()
    {
        var reader = new ChatUsageReader();

        new ChunkTail().ObserveInto(reader);

        reader.Usage.Should().Be(default(ChatUsage));
    }
}
