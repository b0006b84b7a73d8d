using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Okome.Planner.Tests.DependencyInjection;

/// <summary>
/// An <see cref="IOptionsChangeTokenSource{TOptions}"/> a test fires by hand, as a configuration provider's reload fires
/// the token of options bound to it: the options monitor then configures the options afresh and tells its listeners.
/// </summary>
internal sealed class OptionsChanges<TOptions> : IOptionsChangeTokenSource<TOptions>, IDisposable
{
    private CancellationTokenSource _source = new();

    public string Name => Options.DefaultName;

    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _source).Token);

    /// <summary>Fires the token; the monitor's listeners run on this thread before it returns.</summary>
    public void Fire()
    {
        using var fired = Interlocked.Exchange(ref _source, new CancellationTokenSource());
        fired.Cancel();
    }

    public void Dispose() => _source.Dispose();
}
