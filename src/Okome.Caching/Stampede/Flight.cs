using Okome.Caching.Diagnostics;
using Okome.Caching.Freshness;
using Okome.Caching.Status;
using Okome.Caching.Stores;

namespace Okome.Caching.Stampede;

/// <summary>
/// One upstream call for one key in this process, shared by every caller that asks meanwhile. Across processes it
/// takes the key's lease in the store, or waits for the holder's notification. It reaches the cache only through
/// <see cref="IFlightHost"/>. One file per phase (readme.md beside this file): this one holds the flight's state, how
/// callers join it and how its run starts; <c>Flight.Wait.cs</c> (lease or wait), <c>Flight.Follow.cs</c>,
/// <c>Flight.Lead.cs</c>, <c>Flight.Capture.cs</c>, <c>Flight.Commit.cs</c> and <c>Flight.Uncached.cs</c> the rest.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "A plain CancellationTokenSource holds no timer or registration; late callers may still cancel it, so it is never disposed.")]
internal sealed partial class Flight
{
    private static readonly TimeSpan LeaseGrace = TimeSpan.FromMilliseconds(20);

    private readonly IFlightHost _host;
    private readonly CacheRequest _request;
    private readonly UpstreamFactory _factory;
    private readonly FreshnessCalculator _calculator;
    private readonly CacheStatus _missStatus;
    private readonly FlightMode _mode;
    private readonly EntryStamp _initialStamp;
    private readonly CancellationTokenSource _cancel = new();
    private readonly TaskCompletionSource<FlightOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private StoreRead _read;
    private int _callers;

    public Flight(IFlightHost host, CacheRequest request, UpstreamFactory factory, FreshnessCalculator calculator, StoreRead read, CacheStatus missStatus, FlightMode mode)
    {
        _host = host;
        _request = request;
        _factory = factory;
        _calculator = calculator;
        _read = read;
        _initialStamp = read.Stamp;
        _missStatus = missStatus;
        _mode = mode;
    }

    private ICacheStore Store => _host.Store;

    private ResponseCacheOptions Options => _host.Options;

    private TimeProvider Time => _host.Time;

    /// <summary>Callers waiting for the outcome now (for tests).</summary>
    internal int Callers => Volatile.Read(ref _callers);

    /// <summary>Starts the work; it runs to its end whoever waits for it, unless every caller gives up first.</summary>
    public void Start() => _ = RunAsync();

    /// <summary>Waits for the outcome and turns it into this caller's response.</summary>
    /// <param name="origin">Whether this caller started the flight (it then reports MISS/EXPIRED rather than a collapsed HIT).</param>
    /// <param name="cancellationToken">This caller's cancellation: the work goes on while other callers wait.</param>
    public async ValueTask<CacheResponse> JoinAsync(bool origin, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _callers);
        FlightOutcome outcome;
        try
        {
            outcome = await _outcome.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (Interlocked.Decrement(ref _callers) == 0 && !_outcome.Task.IsCompleted && _mode != FlightMode.Refresh)
            {
                _cancel.Cancel();
            }

            throw;
        }

        return outcome.ToResponse(origin, Time.GetUtcNow());
    }

    private async Task RunAsync()
    {
        using var activity = _host.Metrics.Tracing.StartActivity("okome.cache.upstream");
        activity?.SetTag("okome.cache.store", Store.Kind);
        activity?.SetTag("okome.cache.mode", _mode.ToString());
        try
        {
            if (_mode is FlightMode.Bypass or FlightMode.StoreDown)
            {
                await CallUncachedAsync(_missStatus, storeDown: _mode == FlightMode.StoreDown).ConfigureAwait(false);
            }
            else
            {
                await LeaseOrWaitAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Deliver(_cancel.IsCancellationRequested || ex is FlightAbandonedException ? FlightOutcome.Abandoned : FlightOutcome.Failed(ex));
            if (_mode == FlightMode.Refresh && !_cancel.IsCancellationRequested)
            {
                Log.RefreshFailed(_host.Logger, _request.Key.HashText, ex);
            }
        }
        finally
        {
            // Only now, after the commit: a caller that arrives later finds the stored entry instead.
            if (_mode != FlightMode.Bypass)
            {
                _host.Forget(_request.Key, this);
            }
        }
    }

    private void Deliver(FlightOutcome outcome) => _outcome.TrySetResult(outcome);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
