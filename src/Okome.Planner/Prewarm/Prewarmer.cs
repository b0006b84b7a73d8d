using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Caching;
using Okome.Caching.Freshness;
using Okome.Caching.Status;
using Okome.Planner.Decisions;
using Okome.Planner.Diagnostics;
using Okome.Planner.Execution;
using Okome.Shared;

namespace Okome.Planner.Prewarm;

/// <summary>
/// Keeps a list of requests fresh: on a schedule, every entry that is missing, stale, or expires within
/// <see cref="PrewarmOptions.RefreshAhead"/> is fetched again through the <see cref="PlanExecutor"/> at
/// <see cref="RequestPriority.Background"/> (with <c>Cache-Control: no-cache</c>, a fetch that stores, when the entry exists), charged to
/// <see cref="PrewarmOptions.PartitionKey"/>. So pre-warming obeys budgets, health and load shedding like any request: it is
/// the first to be shed and never queues for the GPU.
/// </summary>
internal sealed class Prewarmer
{
    private readonly PlanExecutor _executor;
    private readonly PrewarmItem[] _items;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _refreshAhead;
    private readonly string _partitionKey;
    private readonly ILogger _logger;

    /// <summary>Creates a pre-warmer without logs.</summary>
    /// <param name="executor">The executor that runs the refreshes.</param>
    /// <param name="items">The requests to keep fresh.</param>
    /// <param name="options">The schedule; validated and copied.</param>
    public Prewarmer(PlanExecutor executor, IEnumerable<PrewarmItem> items, PrewarmOptions options)
        : this(executor, items, options, null)
    {
    }

    /// <summary>Creates a pre-warmer.</summary>
    /// <param name="executor">The executor that runs the refreshes.</param>
    /// <param name="items">The requests to keep fresh.</param>
    /// <param name="options">The schedule; validated and copied.</param>
    /// <param name="loggerFactory">Logs a summary per round and failures; none when null.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid (it lists every error).</exception>
    /// <exception cref="ArgumentException">An item is null.</exception>
    public Prewarmer(PlanExecutor executor, IEnumerable<PrewarmItem> items, PrewarmOptions options, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(options);
        OptionsValidation.ThrowIfInvalid(PrewarmOptionsValidator.Instance, options);
        _items = items.ToArray();
        if (Array.IndexOf(_items, null) >= 0)
        {
            throw new ArgumentException("The items must not contain null.", nameof(items));
        }

        _executor = executor;
        _interval = options.Interval;
        _refreshAhead = options.RefreshAhead;
        _partitionKey = options.PartitionKey;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Okome.Planner.Prewarm");
    }

    /// <summary>Runs one round: checks every item and refreshes those that need it, one after another.</summary>
    /// <param name="cancellationToken">Stops the round.</param>
    /// <returns>What the round did.</returns>
    public async Task<PrewarmReport> RunOnceAsync(CancellationToken cancellationToken)
    {
        var results = new PrewarmItemResult[_items.Length];
        for (var i = 0; i < _items.Length; i++)
        {
            var item = _items[i];
            PrewarmItemResult result;
            try
            {
                result = await RunItemAsync(item, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // One item's failure never stops the round.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.PrewarmItemFailed(_logger, item.Name, ex);
                result = new PrewarmItemResult(item.Name, PrewarmOutcome.Failed, null);
            }

            _executor.Metrics.Prewarm(OutcomeName(result.Outcome));
            results[i] = result;
        }

        var report = new PrewarmReport(results);
        Log.PrewarmRun(_logger, report.Refreshed, report.AlreadyFresh, report.Refused, report.Failed);
        return report;
    }

    /// <summary>Runs a round now and then every <see cref="PrewarmOptions.Interval"/> (on the executor's clock) until cancelled; a failed round never stops the loop, and a round that overruns the interval is followed by the next at once.</summary>
    /// <param name="cancellationToken">Stops the loop.</param>
    /// <returns>A task that completes when the loop was cancelled.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // The timer starts now, so rounds begin every Interval from the start whatever a round takes (a late tick runs at once).
        using var timer = new PeriodicTimer(_interval, _executor.Time);
        do
        {
            try
            {
                await RunOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The schedule goes on whatever one round did.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.PrewarmRunFailed(_logger, ex);
            }
        }
        while (await NextTickAsync(timer, cancellationToken).ConfigureAwait(false));
    }

    private static async ValueTask<bool> NextTickAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<PrewarmItemResult> RunItemAsync(PrewarmItem item, CancellationToken cancellationToken)
    {
        var peek = await _executor.Cache.PeekAsync(item.Request.Cache, cancellationToken).ConfigureAwait(false);
        if (peek.Action == CacheAction.Bypass)
        {
            return new PrewarmItemResult(item.Name, PrewarmOutcome.Failed, null); // not cacheable: nothing to keep warm
        }

        if (peek.Action == CacheAction.UseFresh
            && peek.Fresh.TimeToLiveSeconds is { } secondsLeft
            && TimeSpan.FromSeconds(secondsLeft) >= _refreshAhead)
        {
            return new PrewarmItemResult(item.Name, PrewarmOutcome.AlreadyFresh, null);
        }

        // An entry that exists (stale, or fresh for too short) is refreshed with no-cache, a fetch that stores whatever the
        // entry says. A missing one (never stored, evicted, or its namespace bumped) is asked as a client would: then the
        // pre-warmers of several nodes woken by one bump join one call under the stampede lease instead of each calling.
        var original = item.Request;
        var cache = peek.HasEntry ? original.Cache with { CacheControl = original.Cache.CacheControl.ForRefresh() } : original.Cache;
        var request = new PlannedRequest(cache)
        {
            PartitionKey = _partitionKey,
            EstimatedCost = original.EstimatedCost,
            Priority = RequestPriority.Background,
            Canary = original.Canary,
        };
        var response = await _executor.ExecuteAsync(request, item.Upstream, cancellationToken).ConfigureAwait(false);
        await using (response.ConfigureAwait(false))
        {
            if (response.IsGenerated)
            {
                // Refused by the planner (no upstream answer), not an upstream's own 503 the executor passed on.
                var refused = response.UpstreamStatusCode == 0 && response.StatusCode is 429 or 503;
                return new PrewarmItemResult(item.Name, refused ? PrewarmOutcome.Refused : PrewarmOutcome.Failed, response.StatusCode);
            }

            await foreach (var _ in response.Body.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                // Drain: the entry is stored once the stream completed.
            }

            var status = CacheStatusOf(response);
            var refreshed = response.StatusCode is >= 200 and < 300 && status is not CacheStatus.Stale;
            return new PrewarmItemResult(item.Name, refreshed ? PrewarmOutcome.Refreshed : PrewarmOutcome.Failed, response.StatusCode);
        }
    }

    private static CacheStatus? CacheStatusOf(PlannedResponse response)
    {
        foreach (var (name, value) in response.Headers)
        {
            if (name == OkomeCacheHeader.Name && OkomeCacheHeader.TryParse(value, out var status))
            {
                return status;
            }
        }

        return null;
    }

    internal static string OutcomeName(PrewarmOutcome outcome) => outcome switch
    {
        PrewarmOutcome.Refreshed => "refreshed",
        PrewarmOutcome.AlreadyFresh => "already_fresh",
        PrewarmOutcome.Refused => "refused",
        _ => "failed",
    };
}
