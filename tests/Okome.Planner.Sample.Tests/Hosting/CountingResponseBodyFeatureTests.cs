using Microsoft.AspNetCore.Http;
using Okome.Samples.Hosting;

namespace Okome.Planner.Sample.Tests.Hosting;

/// <summary>The access line's byte count: every way a handler writes a body is counted once and reaches the server's body.</summary>
public sealed class CountingResponseBodyFeatureTests
{
    [Fact]
    public async Task StreamAndWriterWrites_AreCountedOnce_AndReachTheServersBody()
    {
        using var server = new MemoryStream();
        var inner = new StreamResponseBodyFeature(server);
        var counting = new CountingResponseBodyFeature(inner);

        await counting.Stream.WriteAsync("data: a\n\n"u8.ToArray());                  // 9, the writer's way today
        counting.Stream.Write("bc"u8);                                                  // 2, synchronous
        await counting.Writer.WriteAsync("data: [DONE]\n\n"u8.ToArray());               // 14, PipeWriter.WriteAsync
        "xyz"u8.CopyTo(counting.Writer.GetSpan(3));                                     // 3, GetSpan + Advance
        counting.Writer.Advance(3);
        await counting.Writer.FlushAsync();
        await counting.CompleteAsync();
        await inner.Writer.CompleteAsync();

        counting.Written.Should().Be(28);
        server.ToArray().Should().Equal("data: a\n\nbcdata: [DONE]\n\nxyz"u8.ToArray());
    }

    [Fact]
    public async Task SendFile_CountsTheBytesSent()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, new byte[100]);
            using var server = new MemoryStream();
            var counting = new CountingResponseBodyFeature(new StreamResponseBodyFeature(server));

            await counting.SendFileAsync(path, 10, null);
            await counting.SendFileAsync(path, 0, 5);

            counting.Written.Should().Be(95);
            server.Length.Should().Be(95);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
