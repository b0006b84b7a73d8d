using System.Text;

namespace Okome.Samples.Hosting;

/// <summary>
/// Standard output for log lines, with a 64 KB buffer written out when it fills and at least every
/// <see cref="FlushInterval"/>, instead of a <c>write</c> system call (or two: <see cref="Console.Out"/> writes in
/// 256-character pieces) per line. Lines are written whole, one at a time; they reach the pipe up to
/// <see cref="FlushInterval"/> later, as nginx's buffered access log (<c>buffer=64k flush=1s</c>) does.
/// </summary>
internal sealed class BufferedConsoleOutput : IDisposable
{
    /// <summary>The longest a written line waits in the buffer.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private const int BufferChars = 32 * 1024;

    private readonly Lock _lock = new();
    private readonly StreamWriter _writer;
    private readonly ITimer _timer;
    private bool _disposed;

    /// <summary>Writes to <paramref name="stream"/> (standard output in the service), which it owns from now on.</summary>
    /// <param name="stream">Where the lines go.</param>
    /// <param name="time">The flush timer's clock.</param>
    public BufferedConsoleOutput(Stream stream, TimeProvider time)
    {
        _writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), BufferChars) { AutoFlush = false };
        _timer = time.CreateTimer(static state => ((BufferedConsoleOutput)state!).Flush(), this, FlushInterval, FlushInterval);
    }

    /// <summary>Appends one formatted entry (its text ends with its own newline); once disposed, writes it through.</summary>
    public void Write(StringBuilder entry)
    {
        lock (_lock)
        {
            try
            {
                _writer.Write(entry);
                if (_disposed)
                {
                    _writer.Flush();
                }
            }
            catch (IOException)
            {
                // Nobody reads standard output any more (a closed pipe): the line has nowhere to go.
            }
            catch (ObjectDisposedException)
            {
                // The process is ending.
            }
        }
    }

    /// <summary>Writes out what is buffered.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            try
            {
                _writer.Flush();
            }
            catch (IOException)
            {
                // As above: a closed pipe.
            }
            catch (ObjectDisposedException)
            {
                // As above.
            }
        }
    }

    /// <summary>Writes out what is left; later lines are written through at once (the host may log while it shuts down).</summary>
    public void Dispose()
    {
        _timer.Dispose();
        lock (_lock)
        {
            _disposed = true;
        }

        Flush();
    }
}
