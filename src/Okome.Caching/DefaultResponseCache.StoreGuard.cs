using Okome.Caching.Diagnostics;
using Okome.Caching.Keys;
using Okome.Caching.Stores;
using StackExchange.Redis;

namespace Okome.Caching;

// The store under its guard: every store call within the store timeout, failures counted, logged and reported to the
// breaker; the one read of an entry.
internal sealed partial class DefaultResponseCache
{
    /// <summary>Runs a store operation within the store timeout; a failure is logged, counted and rethrown as <see cref="StoreUnavailableException"/>.</summary>
    public async ValueTask<T> StoreCallAsync<T>(ValueTask<T> operation, string name, CancellationToken cancellationToken)
    {
        // Callers check StoreSkipped before they send anything; this covers an operation sent just as the breaker opened.
        if (StoreSkipped)
        {
            throw new StoreUnavailableException(null);
        }

        try
        {
            Metrics.StoreOperation(Store.Kind, name);
            var result = operation.IsCompletedSuccessfully
                ? operation.Result
                : await operation.AsTask().WaitAsync(Options.StoreTimeout, Time, cancellationToken).ConfigureAwait(false);
            _breaker?.RecordSuccess();
            return result;
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            StoreFailed(name, ex);
            throw new StoreUnavailableException(ex);
        }
    }

    /// <summary>Counts, logs and reports a failed store call to the breaker; a connection known to be down opens it at once.</summary>
    private void StoreFailed(string operation, Exception exception)
    {
        Metrics.StoreError(Store.Kind, operation);
        Log.StoreFailed(Logger, Store.Kind, operation, exception);
        if (_breaker is { } breaker)
        {
            if (exception is RedisConnectionException || !Store.IsConnected)
            {
                breaker.Trip(exception);
            }
            else
            {
                breaker.RecordFailure(exception);
            }
        }
    }

    internal static bool IsStoreFailure(Exception exception, CancellationToken cancellationToken)
        => exception is RedisException or TimeoutException or ObjectDisposedException
           || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>Counts and logs unreadable bytes; they are a miss.</summary>
    internal StoreRead Checked(in CacheKey key, StoreRead read)
    {
        if (read.IsCorrupt)
        {
            Metrics.Unreadable(read.Status);
            Log.UnreadableEntry(Logger, key.HashText, read.Status);
        }

        return read;
    }

    /// <summary>
    /// The cache's one read of the store, under its guard: an answer in this process comes back completed; a round trip
    /// within the store timeout. A failure is logged, counted and ends as <see cref="StoreUnavailableException"/> (in the
    /// returned task, never thrown from here).
    /// </summary>
    public ValueTask<StoreRead> ReadAsync(in CacheKey key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Task<RedisValue>? reply;
        try
        {
            if (Store.BeginRead(key, now, out var read, out reply))
            {
                return ValueTask.FromResult(Checked(key, read));
            }
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            StoreFailed("get", ex);
            return ValueTask.FromException<StoreRead>(new StoreUnavailableException(ex));
        }

        return EndReadAsync(key, reply!, cancellationToken);
    }

    private async ValueTask<StoreRead> EndReadAsync(CacheKey key, Task<RedisValue> reply, CancellationToken cancellationToken)
        => Checked(key, Store.EndRead(key, await StoreCallAsync(new ValueTask<RedisValue>(reply), "get", cancellationToken).ConfigureAwait(false)));
}
