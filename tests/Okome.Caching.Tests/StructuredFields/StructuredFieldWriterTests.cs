using Okome.Shared.StructuredFields;

namespace Okome.Caching.Tests.StructuredFields;

public sealed class StructuredFieldWriterTests
{
    [Fact]
    public void Append_EachKind_WritesRfc8941Text()
    {
        var writer = new StructuredFieldWriter(stackalloc char[64], canGrow: false);
        writer.AppendTokenOrString("tok/en");
        writer.AppendRaw(";s=");
        writer.AppendString("a \"q\" \\");
        writer.AppendRaw(", ");
        writer.AppendTokenOrString("two words");
        writer.AppendRaw(";n=");
        writer.AppendInteger(-12);

        writer.Ok.Should().BeTrue();
        writer.ToString().Should().Be("tok/en;s=\"a \\\"q\\\" \\\\\", \"two words\";n=-12");
        writer.Length.Should().Be(writer.ToString().Length);
    }

    [Theory]
    [InlineData(long.MaxValue, "999999999999999")]
    [InlineData(long.MinValue, "-999999999999999")]
    [InlineData(999_999_999_999_999L, "999999999999999")]
    [InlineData(0L, "0")]
    public void AppendInteger_BeyondFifteenDigits_Clamped(long value, string expected)
    {
        var writer = new StructuredFieldWriter(stackalloc char[16], canGrow: false);
        writer.AppendInteger(value);
        writer.ToString().Should().Be(expected);
    }

    [Fact]
    public void FixedWriter_BufferFull_StopsAndReportsIt()
    {
        var writer = new StructuredFieldWriter(stackalloc char[6], canGrow: false);
        writer.AppendRaw("ab");
        writer.AppendString("cdef"); // needs 6 more
        writer.AppendRaw('g');

        writer.Ok.Should().BeFalse();
        writer.ToString().Should().Be("ab", "nothing is written after the first append that did not fit");
    }

    [Fact]
    public void FixedWriter_ExactFit_Succeeds()
    {
        var writer = new StructuredFieldWriter(stackalloc char[6], canGrow: false);
        writer.AppendRaw("t=");
        writer.AppendInteger(1234);
        writer.Ok.Should().BeTrue();
        writer.ToString().Should().Be("t=1234");
    }

    [Fact]
    public void GrowableWriter_PastItsBuffer_MovesToAPooledArray()
    {
        var expected = string.Join(", ", Enumerable.Range(0, 500).Select(i => $"\"n{i}\";r={i}"));
        var writer = new StructuredFieldWriter(stackalloc char[8], canGrow: true);
        try
        {
            for (var i = 0; i < 500; i++)
            {
                if (i > 0)
                {
                    writer.AppendRaw(", ");
                }

                writer.AppendString($"n{i}");
                writer.AppendRaw(";r=");
                writer.AppendInteger(i);
            }

            writer.Ok.Should().BeTrue();
            writer.ToString().Should().Be(expected);
        }
        finally
        {
            writer.Dispose();
        }
    }

    [Fact]
    public void Written_ParsesBackToTheSameValues()
    {
        var writer = new StructuredFieldWriter(stackalloc char[128], canGrow: false);
        writer.AppendString("x\"y");
        writer.AppendRaw(";a=");
        writer.AppendInteger(7);
        writer.AppendRaw(";b=");
        writer.AppendTokenOrString("tok");

        StructuredFieldParser.TryParseList(writer.Written, out var members).Should().BeTrue();
        var member = members.Single();
        member.Value.Text.Should().Be("x\"y");
        member.Parameters.TryGet("a", out var a).Should().BeTrue();
        a.Integer.Should().Be(7);
        member.Parameters.TryGet("b", out var b).Should().BeTrue();
        b.Should().BeEquivalentTo(BareItem.FromToken("tok"));
    }
}
