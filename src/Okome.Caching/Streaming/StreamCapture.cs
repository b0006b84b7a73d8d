using System.Runtime.CompilerServices;

namespace Okome.Caching.Streaming;

/// <summary>
/// One upstream stream in flight: the pump appends chunks as they arrive, and any number of readers (the caller that
/// started it and every caller that joined) read what was produced so far and then the rest live. See readme.md.
/// </summary>
/// <remarks>
/// Invariants: chunks are only appended, never changed, so a reader needs the lock only to look at the count; the
/// stream ends exactly once (complete or failed); when every reader has left before the end, the stream drains for the
/// grace it was given (so an answer whose last bytes were already read is still stored when the upstream's end of
/// stream comes just after the last reader hung up), then <see cref="Abandoned"/> fires so the pump stops paying for
/// tokens nobody will read. A reader that attaches during the drain ends it.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The CancellationTokenSource holds no timer or registration; the drain timer is disposed when the stream ends or a reader comes back.")]
internal sealed class StreamCapture
{
    private readonly Lock _gate = new();
    private readonly List<ReadOnlyMemory<byte>> _chunks = [];
    private readonly CancellationTokenSource _abandoned = new();
    private readonly TimeSpan _drain;
    private readonly TimeProvider _time;
    private TaskCompletionSource _changed = NewSignal();
    private DrainTimer? _drainTimer;
    private bool _completed;
    private bool _unread;
    private Exception? _failure;
    private int _readers;
    private long _length;

    /// <summary>A stream that stops at once when every reader has left (nothing would be stored by reading on).</summary>
    public StreamCapture(ResponseHead head)
        : this(head, TimeSpan.Zero, TimeProvider.System)
    {
    }

    /// <summary>A stream that drains for <paramref name="drain"/> after every reader has left before it stops.</summary>
    /// <param name="head">The upstream's status and headers.</param>
    /// <param name="drain">How long the stream goes on once every reader has left; zero stops it at once.</param>
    /// <param name="time">The clock of the drain timer.</param>
    public StreamCapture(ResponseHead head, TimeSpan drain, TimeProvider time)
    {
        Head = head;
        _drain = drain;
        _time = time;
    }

    public ResponseHead Head { get; }

    /// <summary>Why this stream is not stored when the upstream's own <c>Cache-Control</c> forbade it: the <c>Cache-Status</c> detail.</summary>
    public string? NotStoredDetail { get; init; }

    /// <summary>Cancelled when every reader left before the stream ended and no reader came back within the drain.</summary>
    public CancellationToken Abandoned => _abandoned.Token;

    /// <summary>
    /// Whether every reader has left and none came back: true while the stream drains (and after it ended unread), so the
    /// pump can tell an answer stored for nobody's reading from one its readers saw to the end.
    /// </summary>
    public bool IsUnread
    {
        get
        {
            lock (_gate)
            {
                return _unread;
            }
        }
    }

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
        lock (_gate)
        {
            _readers++;
            _unread = false;
            StopDrain();
        }

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
            StopDrain();
            signal = Swap();
        }

        signal.TrySetResult();
    }

    private void Detach()
    {
        lock (_gate)
        {
            if (--_readers > 0 || _completed)
            {
                return;
            }

            _unread = true;
            if (_drain > TimeSpan.Zero)
            {
                // Readers count under the lock, so a reader that attaches now stops exactly this timer.
                var timer = new DrainTimer(this);
                timer.Timer = _time.CreateTimer(static state => ((DrainTimer)state!).Fire(), timer, _drain, Timeout.InfiniteTimeSpan);
                _drainTimer = timer;
                return;
            }
        }

        _abandoned.Cancel();
    }

    private void DrainEnded(DrainTimer timer)
    {
        lock (_gate)
        {
            // A stale timer (a reader came back, or the stream ended, as it fired) does nothing.
            if (_completed || _readers > 0 || !ReferenceEquals(_drainTimer, timer))
            {
                return;
            }

            StopDrain();
        }

        _abandoned.Cancel();
    }

    private void StopDrain()
    {
        _drainTimer?.Timer?.Dispose();
        _drainTimer = null;
    }

    private TaskCompletionSource Swap()
    {
        var signal = _changed;
        _changed = NewSignal();
        return signal;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One drain: the timer and whose it is, so a timer that fires late is told from the current one.</summary>
    private sealed class DrainTimer(StreamCapture owner)
    {
        public ITimer? Timer { get; set; }

        public void Fire() => owner.DrainEnded(this);
    }

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
