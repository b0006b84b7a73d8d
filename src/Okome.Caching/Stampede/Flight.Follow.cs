using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Caching.Streaming;

namespace Okome.Caching.Stampede;

// The follow phase: read another node's response live while its holder still streams it. See readme.md.
internal sealed partial class Flight
{
    /// <summary>
    /// When the holder on another node is already streaming its response, reads it live (chunks so far, then the rest as
    /// they come) instead of waiting for the commit. False when no stream has started yet: the caller goes on waiting.
    /// </summary>
    private async ValueTask<bool> TryFollowAsync(ILiveStreams live)
    {
        LiveStreamFollower? follower;
        if (_host.StoreSkipped)
        {
            return false;
        }

        try
        {
            follower = await _host.StoreCallAsync(live.TryFollowAsync(_request.Key, _cancel.Token), "follow", _cancel.Token).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            return false;
        }

        if (follower is null)
        {
            return false;
        }

        var capture = new StreamCapture(follower.Head);
        Deliver(FlightOutcome.Live(capture, CacheStatus.Hit, stored: true, collapsedForOrigin: true));
        using var pump = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token, capture.Abandoned);
        var end = await follower.PumpAsync(capture, pump.Token).ConfigureAwait(false);
        _host.Forget(_request.Key, this);
        if (end == LiveStreamEnd.Completed)
        {
            capture.Complete();
        }
        else
        {
            capture.Fail(new UpstreamStreamException("The response another node was streaming was cut off."));
        }

        return true;
    }
}
