using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Okome.Planner.Sample.Hosting;

/// <summary>
/// The configuration in force: the validated start-up options, then each reload <see cref="ConfigurationReload"/> accepted.
/// The library options that reload (the cache's freshness windows, the executor's canary split, the pre-warm schedule and
/// list) are configured from <see cref="Current"/>, and <see cref="Apply"/> fires their change token
/// (<see cref="AppliedSettingsChangeTokenSource{TOptions}"/>), so each package picks the change up through its own
/// <c>IOptionsMonitor</c>, as an application binding those options to configuration would.
/// </summary>
internal sealed class AppliedSettings : IDisposable
{
    private volatile SampleOptions _current;
    private CancellationTokenSource _changed = new();

    /// <summary>Starts from the validated start-up options.</summary>
    public AppliedSettings(IOptions<SampleOptions> startUp) => _current = startUp.Value;

    /// <summary>The options in force (never changed in place: replaced whole).</summary>
    public SampleOptions Current => _current;

    /// <summary>A token that fires at the next <see cref="Apply"/>.</summary>
    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changed).Token);

    /// <summary>
    /// Puts validated options in force and fires the change token: the options monitors listening run their callbacks on
    /// this thread, so what they throw (an option a library refuses) comes out of here.
    /// </summary>
    public void Apply(SampleOptions next)
    {
        ArgumentNullException.ThrowIfNull(next);
        _current = next;

        // A cancelled source without a timer holds nothing: the old one is left to the GC (disposing it could race a
        // monitor that is just registering on its token).
        Interlocked.Exchange(ref _changed, new CancellationTokenSource()).Cancel();
    }

    public void Dispose() => _changed.Dispose();
}
