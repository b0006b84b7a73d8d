using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace Okome.Planner.Tests.Execution;

/// <summary>An upstream body the test writes chunk by chunk; it records how the body ended.</summary>
internal sealed class ControlledStream
{
    private readonly Channel<ReadOnlyMemory<byte>> _channel = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Ended => _ended.Task;

    public ValueTask WriteAsync(string text) => _channel.Writer.WriteAsync(Encoding.UTF8.GetBytes(text));

    public void Complete() => _channel.Writer.TryComplete();

    public void Fail(Exception exception) => _channel.Writer.TryComplete(exception);

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            await foreach (var chunk in _channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return chunk;
            }
        }
        finally
        {
            _ended.TrySetResult();
        }
    }
}
