using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Okome.Samples.Hosting;

/// <summary>
/// The response body as the server gives it, with the bytes written counted (the access line's <c>Bytes</c>): the
/// <see cref="Stream"/> and the <see cref="Writer"/> each forward straight to the server's own, so a handler that writes
/// through <c>Response.BodyWriter</c> writes into the server's pipe without an extra copy (a
/// <c>StreamResponseBodyFeature</c> over a counting stream would put a second pipe in between).
/// </summary>
internal sealed class CountingResponseBodyFeature : IHttpResponseBodyFeature
{
    private readonly IHttpResponseBodyFeature _inner;
    private long _written;
    private CountingStream? _stream;

    public CountingResponseBodyFeature(IHttpResponseBodyFeature inner)
    {
        _inner = inner;
        Writer = new CountingPipeWriter(inner.Writer, this);
    }

    /// <summary>The bytes written so far, through either way.</summary>
    public long Written => _written;

    /// <summary>Made when first asked for: the chat routes write through <see cref="Writer"/> only.</summary>
    public Stream Stream => _stream ??= new CountingStream(_inner.Stream, this);

    public PipeWriter Writer { get; }

    public void DisableBuffering() => _inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => _inner.StartAsync(cancellationToken);

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        await _inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
        Add(count ?? new FileInfo(path).Length - offset);
    }

    public Task CompleteAsync() => _inner.CompleteAsync();

    /// <summary>Counts <paramref name="bytes"/> written (one request's writes never run concurrently).</summary>
    internal void Add(long bytes) => _written += bytes;
}
