using Okome.Caching.Diagnostics;
using Okome.Caching.Entries;
using Okome.Caching.Stores;

namespace Okome.Caching.Stampede;

// The commit phase: store the entry while the lease is still held, or release the lease without storing. See readme.md.
internal sealed partial class Flight
{
    private async Task<bool> CommitAsync(LeaseToken token, CacheEntry entry)
    {
        try
        {
            var committed = await _host.StoreCallAsync(Store.CommitAsync(_request.Key, token, entry, CancellationToken.None), "commit", CancellationToken.None).ConfigureAwait(false);
            if (!committed)
            {
                Log.LeaseLost(_host.Logger, _request.Key.HashText);
            }

            return committed;
        }
        catch (StoreUnavailableException)
        {
            return false;
        }
    }

    private async Task ReleaseAsync(LeaseToken token)
    {
        try
        {
            await _host.StoreCallAsync(Store.ReleaseLeaseAsync(_request.Key, token, CancellationToken.None), "release", CancellationToken.None).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            // The lease runs out by itself.
        }
    }
}
