using Okome.Caching;
using Okome.Planner.Decisions;
using Okome.Planner.Diagnostics;
using Okome.Planner.Shedding;

namespace Okome.Planner.Execution;

/// <summary>The upstream factory the executor hands the cache: runs only when this request's flight really calls the upstream.</summary>
public sealed partial class PlanExecutor
{
    private UpstreamFactory Factory(PlannedRequest request, PlanInput input, Plan plan, PlannerUpstream upstream, UpstreamCharge owned)
        => (call, cancellationToken) => CallAsync(request, input, plan, upstream, owned, call, cancellationToken);

    private async ValueTask<UpstreamResponse> CallAsync(
        PlannedRequest request, PlanInput input, Plan plan, PlannerUpstream upstream, UpstreamCharge owned, UpstreamCall call, CancellationToken cancellationToken)
    {
        // A plan without its own upstream (a joined flight that ended, a fresh entry that vanished) calls the chosen one.
        var target = plan.Upstream ?? input.Upstream;

        // Health may have changed since planning (another node marked the upstream down, maintenance began).
        if (_health is { } health)
        {
            if (health.IsInMaintenance)
            {
                throw new UpstreamUnusableException(RefusalReason.Maintenance);
            }

            if (health.StatusOf(target) == UpstreamStatus.Down)
            {
                throw new UpstreamUnusableException(RefusalReason.Down);
            }
        }

        var pool = PoolOf(target);
        var meter = _costMeter?.Invoke() ?? new ChunkCountMeter();
        var slot = await EnterSlotAsync(request.Priority, plan, cancellationToken).ConfigureAwait(false);
        MeteredCall metered;
        try
        {
            // One metered call (one GPU slot, one budget lease) however many hosts it tries: the budget is charged once.
            var claimed = owned.TryClaim(out var lease);
            var activity = _metrics.Tracing.StartActivity("okome.planner.upstream");
            activity?.SetTag("okome.planner.upstream", PlannerMetrics.UpstreamName(target));
            activity?.SetTag("okome.planner.refresh", call.IsBackgroundRefresh);
            metered = new MeteredCall(pool.Hosts[0], slot, lease, meter, _metrics, _logger, _time, activity, UpstreamCallFinished);
            if (claimed)
            {
                owned.Attach(metered);
            }
        }
        catch
        {
            slot?.Dispose();
            throw;
        }

        UpstreamResponse response;
        try
        {
            response = await TryHostsAsync(pool, upstream, call, metered, request.Cache.Key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            await metered.FinishAsync(cancellationToken.IsCancellationRequested ? "cancelled" : "error").ConfigureAwait(false);
            throw;
        }

        owned.ReturnedFrom = metered.Host;
        if (response.StatusCode == 304 || response.StatusCode >= 500)
        {
            // The cache may replace these by its entry without reading the body (revalidation, stale-if-error): end the call now.
            await metered.FinishAsync(response.StatusCode >= 500 ? "error" : "ok").ConfigureAwait(false);
            return response;
        }

        if (!response.IsStreamed)
        {
            var body = await metered.ReadWholeAsync(response.Body, cancellationToken).ConfigureAwait(false);
            return UpstreamResponse.FromBody(response.StatusCode, response.Headers, body);
        }

        return new UpstreamResponse(response.StatusCode, response.Headers, metered.Wrap(response.Body, CancellationToken.None));
    }

    /// <summary>
    /// Takes a GPU slot when a cap is known: a queued plan waits up to its bound; other calls at or above the shedding
    /// threshold wait up to <see cref="PlannerPolicy.MaxQueueWait"/>; lower priorities (background refreshes too) do not wait.
    /// No slot in time: the request is shed (the cache serves stale where it may).
    /// </summary>
    private async ValueTask<GpuSlot?> EnterSlotAsync(RequestPriority priority, Plan plan, CancellationToken cancellationToken)
    {
        if (_slots is not { } slots)
        {
            return null;
        }

        var wait = plan.Kind == PlanKind.Queue
            ? plan.MaxWait
            : priority >= _plannerPolicy.ShedBelowPriority ? _plannerPolicy.MaxQueueWait : TimeSpan.Zero;
        var started = _time.GetTimestamp();
        var slot = await slots.EnterAsync(priority, wait, cancellationToken).ConfigureAwait(false);
        if (wait > TimeSpan.Zero)
        {
            _metrics.QueueWait(_time.GetElapsedTime(started));
        }

        if (!slot.IsAcquired)
        {
            slot.Dispose();
            _metrics.Shed(priority);
            throw new UpstreamUnusableException(RefusalReason.Shed);
        }

        return slot;
    }
}
