namespace Okome.Caching.Stores;

/// <summary>A store operation failed or timed out; the cache goes on without the store.</summary>
internal sealed class StoreUnavailableException(Exception? innerException)
    : Exception("The cache store is unavailable.", innerException);
