namespace Okome.Samples.Hosting;

/// <summary>A write-only stream that forwards to the response body and counts the bytes written (the access line's <c>Bytes</c>).</summary>
internal sealed class CountingStream : Stream
{
    private readonly Stream _inner;
    private readonly CountingResponseBodyFeature _counter;

    public CountingStream(Stream inner, CountingResponseBodyFeature counter)
    {
        _inner = inner;
        _counter = counter;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _inner.Write(buffer);
        _counter.Add(buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // The server's writes mostly complete at once: count them without an async state machine; await only the others.
        var write = _inner.WriteAsync(buffer, cancellationToken);
        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult(); // consumes a pooled IValueTaskSource, as an await would
            _counter.Add(buffer.Length);
            return ValueTask.CompletedTask;
        }

        return CountWhenWrittenAsync(write, buffer.Length);
    }

    private async ValueTask CountWhenWrittenAsync(ValueTask write, int length)
    {
        await write.ConfigureAwait(false);
        _counter.Add(length);
    }
}
