using System.Runtime.CompilerServices;

namespace Okome.Caching.Streaming;

/// <summary>
/// One upstream stream in flight: the pump appends chunks as they arrive, and any number of readers (the caller that
/// started it and every caller that joined) read what was produced so far and then the rest live. See readme.md.
/// </summary>
/// <remarks>
/// Invariants: chunks are only appended, never changed, so a reader needs the lock only to look at the count; the
/// stream ends exactly once (complete or failed); when every reader has left before the end, <see cref="Abandoned"/>
/// fires so the pump stops paying for tokens nobody will read.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "A plain CancellationTokenSource holds no timer or registration; readers may leave after the stream ended.")]
internal sealed class StreamCapture
{
    private readonly Lock _gate = new();
    private readonly List<ReadOnlyMemory<byte>> _chunks = [];
    private readonly CancellationTokenSource _abandoned = new();
    private TaskCompletionSource _changed = NewSignal();
    private bool _completed;
    private Exception? _failure;
    private int _readers;
    private long _length;

    public StreamCapture(ResponseHead head) => Head = head;

    public ResponseHead Head { get; }

    /// <summary>Why this stream is not stored when the upstream's own <c>Cache-Control</c> forbade it: the <c>Cache-Status</c> detail.</summary>
    public string? NotStoredDetail { get; init; }

    /// <summary>Cancelled when every reader left before the stream ended.</summary>
    public CancellationToken Abandoned => _abandoned.Token;

    /// <summary>Bytes captured so far.</summary>
    public long Length => Interlocked.Read(ref _length);

    /// <summary>Whether the stream ended successfully.</summary>
    public bool IsCompleted
    {
        get
        {
            lock (_gate)
            {
                return _completed && _failure is null;
            }
        }
    }

    /// <summary>The chunks captured (all of them once the stream completed).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Chunks
    {
        get
        {
            lock (_gate)
            {
                return [.. _chunks];
            }
        }
    }

    /// <summary>Copies a chunk in (the producer may reuse its buffer) and wakes the readers.</summary>
    public void Append(ReadOnlySpan<byte> chunk)
    {
        var copy = chunk.ToArray();
        TaskCompletionSource signal;
        lock (_gate)
        {
            if (_completed)
            {
                throw new InvalidOperationException("The stream has ended.");
            }

            _chunks.Add(copy);
            signal = Swap();
        }

        Interlocked.Add(ref _length, copy.Length);
        signal.TrySetResult();
    }

    /// <summary>Ends the stream successfully.</summary>
    public void Complete() => End(null);

    /// <summary>Ends the stream with a failure that every reader sees once it has read what came before.</summary>
    public void Fail(Exception failure) => End(failure);

    /// <summary>A reader for one response; it must be read at most once.</summary>
    public Reader Attach()
    {
        Interlocked.Increment(ref _readers);
        return new Reader(this);
    }

    private void End(Exception? failure)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            _failure = failure;
            signal = Swap();
        }

        signal.TrySetResult();
    }

    private void Detach()
    {
        if (Interlocked.Decrement(ref _readers) == 0)
        {
            lock (_gate)
            {
                if (_completed)
                {
                    return;
                }
            }

            _abandoned.Cancel();
        }
    }

    private TaskCompletionSource Swap()
    {
        var signal = _changed;
        _changed = NewSignal();
        return signal;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One response's view of the stream: everything produced so far, then the rest live.</summary>
    internal sealed class Reader(StreamCapture capture)
    {
        private int _state; // 0 attached, 1 reading, 2 done

        public StreamCapture Capture => capture;

        public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            {
                throw new InvalidOperationException("A live response body can be read once.");
            }

            try
            {
                var index = 0;
                while (true)
                {
                    ReadOnlyMemory<byte> chunk;
                    Task? wait = null;
                    Exception? failure = null;
                    var ended = false;
                    lock (capture._gate)
                    {
                        if (index < capture._chunks.Count)
                        {
                            chunk = capture._chunks[index++];
                        }
                        else
                        {
                            chunk = default;
                            ended = capture._completed;
                            failure = capture._failure;
                            wait = ended ? null : capture._changed.Task;
                        }
                    }

                    if (wait is not null)
                    {
                        await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    if (failure is not null)
                    {
                        throw new UpstreamStreamException("The upstream stream failed or was cut off; nothing was stored.", failure);
                    }

                    if (ended)
                    {
                        yield break;
                    }

                    yield return chunk;
                }
            }
            finally
            {
                Leave();
            }
        }

        /// <summary>Gives the reader up without reading (the response was dropped).</summary>
        public void Leave()
        {
            if (Interlocked.Exchange(ref _state, 2) != 2)
            {
                capture.Detach();
            }
        }
    }
}
