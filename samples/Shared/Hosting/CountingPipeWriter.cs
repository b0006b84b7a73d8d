using System.IO.Pipelines;

namespace Okome.Samples.Hosting;

/// <summary>A <see cref="PipeWriter"/> that forwards to the server's response writer and counts the bytes advanced into it.</summary>
internal sealed class CountingPipeWriter : PipeWriter
{
    private readonly PipeWriter _inner;
    private readonly CountingResponseBodyFeature _counter;

    public CountingPipeWriter(PipeWriter inner, CountingResponseBodyFeature counter)
    {
        _inner = inner;
        _counter = counter;
    }

    public override bool CanGetUnflushedBytes => _inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => _inner.UnflushedBytes;

    public override void Advance(int bytes)
    {
        _inner.Advance(bytes);
        _counter.Add(bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _inner.FlushAsync(cancellationToken);

    // The server's own WriteAsync copies into its pipe and flushes in one step: keep it, and count.
    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        _counter.Add(source.Length);
        return _inner.WriteAsync(source, cancellationToken);
    }

    public override void CancelPendingFlush() => _inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);
}
