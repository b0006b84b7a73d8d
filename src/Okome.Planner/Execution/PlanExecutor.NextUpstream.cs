using System.Net.Http;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Okome.Caching;
using Okome.Caching.Keys;
using Okome.Planner.Decisions;
using Okome.Planner.Diagnostics;
using Okome.Planner.Health;

namespace Okome.Planner.Execution;

/// <summary>
/// Next-upstream retry (nginx <c>proxy_next_upstream error timeout http_502 http_503 http_504</c>): one upstream call tries
/// the pool's healthy hosts, one after another, until one answers. See readme.md beside this file.
/// </summary>
public sealed partial class PlanExecutor
{
    /// <summary>How much of a failed try's error body is read (so its connection can be reused) before it is dropped.</summary>
    private const int DrainLimitBytes = 64 * 1024;

    /// <summary>
    /// Calls the pool's hosts until one answers with something other than 502/503/504, at most <see cref="_tries"/> hosts
    /// within <see cref="_nextUpstreamTimeout"/>. Runs inside the cache's factory, which returns at status and headers: no
    /// byte of any try's body has reached a client or a joined follower yet, so a retry here is always safe. The body of the
    /// answer that is returned is not touched. Every failed try counts toward its host's passive health.
    /// </summary>
    private async ValueTask<UpstreamResponse> TryHostsAsync(HostPool pool, PlannerUpstream upstream, UpstreamCall call, MeteredCall metered, CacheKey key, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var tried = 0UL;
        Exception? lastError = null;
        UpstreamResponse? lastResponse = null;
        for (var attempt = 1; ; attempt++)
        {
            var index = pool.Pick(tried, _health);
            if (index < 0)
            {
                break;
            }

            if (lastResponse is not null)
            {
                // Another host will answer instead: the failed answer's connection is freed in the background.
                DrainInBackground(lastResponse);
                lastResponse = null;
            }

            tried |= 1UL << index;
            var host = pool.Hosts[index];
            metered.Host = host;
            metered.Tries = attempt;
            pool.Enter(index);
            TryOutcome outcome;
            try
            {
                outcome = await TryOnceAsync(host, upstream, call, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Not a failure another host could fix (a bug in the delegate, the caller gave up): no retry.
                pool.Leave(index);
                if (!cancellationToken.IsCancellationRequested)
                {
                    _metrics.UpstreamTry(host, "error");
                    Log.TryFailed(_logger, host.Name, key.HashText, "error", attempt, ex);
                }

                throw;
            }

            if (outcome.Failure is null)
            {
                _metrics.UpstreamTry(host, null);
                metered.Answered(pool, index);
                return outcome.Response!;
            }

            pool.Leave(index);
            _metrics.UpstreamTry(host, outcome.Failure);
            Log.TryFailed(_logger, host.Name, key.HashText, outcome.Failure, attempt, outcome.Error);
            CountFailure(host);
            lastError = outcome.Error;
            lastResponse = outcome.Response;
            if (attempt >= _tries || (_nextUpstreamTimeout > TimeSpan.Zero && _time.GetElapsedTime(started) >= _nextUpstreamTimeout))
            {
                break;
            }
        }

        // Every try failed (or no host may be called): the last failure is answered as without retries.
        if (lastResponse is not null)
        {
            return lastResponse;
        }

        if (lastError is not null)
        {
            ExceptionDispatchInfo.Throw(lastError);
        }

        throw new UpstreamUnusableException(RefusalReason.Down);
    }

    /// <summary>
    /// One try of one host: its answer, or why it failed (<c>connect</c>, <c>timeout</c>, <c>status</c>) when the next host
    /// may be tried. Any other exception (the caller cancelled, a failure of another kind) propagates: no retry.
    /// </summary>
    private async ValueTask<TryOutcome> TryOnceAsync(UpstreamHost host, PlannerUpstream upstream, UpstreamCall call, CancellationToken cancellationToken)
    {
        // With a connect timeout, the try gets its own token, cancelled when the host gives no headers in time so the
        // transport drops the attempt. It is not disposed once the host answered: the body, still streaming, may observe
        // it (it holds no timer).
        var attemptSource = _connectTimeout == Timeout.InfiniteTimeSpan ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<UpstreamResponse> task;
        try
        {
            task = upstream(host, call, attemptSource?.Token ?? cancellationToken).AsTask();
        }
#pragma warning disable CA1031 // A delegate that throws synchronously is treated as one that faults its task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            task = Task.FromException<UpstreamResponse>(ex);
        }

        try
        {
            var response = attemptSource is null
                ? await task.ConfigureAwait(false)
                : await task.WaitAsync(_connectTimeout, _time, cancellationToken).ConfigureAwait(false);
            return response.StatusCode is 502 or 503 or 504 ? new TryOutcome(response, null, "status") : new TryOutcome(response, null, null);
        }
        catch (TimeoutException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // No status and headers within ConnectTimeout (or the delegate's own timeout): drop the attempt; an answer that
            // still comes (or came just as the timeout fired) is drained.
            if (attemptSource is not null)
            {
                await attemptSource.CancelAsync().ConfigureAwait(false);
            }

            _ = DropLateAsync(task, attemptSource);
            return new TryOutcome(null, ex, "timeout");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && IsBeforeFirstByteFailure(ex))
        {
            attemptSource?.Dispose();
            return new TryOutcome(null, ex, ex is OperationCanceledException ? "timeout" : "connect");
        }
    }

    /// <summary>The failures nginx's <c>error</c> and <c>timeout</c> cover: no response at all (refused, reset, timed out).</summary>
    private static bool IsBeforeFirstByteFailure(Exception ex)
        => ex is HttpRequestException or IOException or SocketException or TimeoutException or OperationCanceledException;

    /// <summary>Counts a failed try toward the host's passive health, as a failed probe, without holding up the call.</summary>
    private void CountFailure(UpstreamHost host)
    {
        if (_health is not { } health)
        {
            return;
        }

        _ = RecordQuietlyAsync(health, host);

        static async Task RecordQuietlyAsync(UpstreamHealthMonitor health, UpstreamHost host)
        {
            try
            {
                await health.RecordProbeAsync(host, ProbeResult.Failure, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A store outage is logged once by the monitor; a lost count only delays marking the host down.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    private static async Task DropLateAsync(Task<UpstreamResponse> task, CancellationTokenSource? attemptSource)
    {
        try
        {
            var late = await task.ConfigureAwait(false);
            await DrainAsync(late).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The try was given up already: whatever it ends with is dropped.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            attemptSource?.Dispose();
        }
    }

    private static void DrainInBackground(UpstreamResponse response) => _ = DrainAsync(response);

    /// <summary>Reads a little of a dropped answer's body and disposes it, so the transport can release its connection.</summary>
    private static async Task DrainAsync(UpstreamResponse response)
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var read = 0;
            await foreach (var chunk in response.Body.WithCancellation(limit.Token).ConfigureAwait(false))
            {
                read += chunk.Length;
                if (read >= DrainLimitBytes)
                {
                    break;
                }
            }
        }
#pragma warning disable CA1031 // A dropped answer's body may fail any way it likes.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>A try's answer (also a 502/503/504 that may be retried), its error, and the failure reason when it failed.</summary>
    private readonly record struct TryOutcome(UpstreamResponse? Response, Exception? Error, string? Failure);
}
