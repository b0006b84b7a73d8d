namespace Okome.Shared;

/// <summary>Where a <see cref="StoreBreaker"/> stands; the values are what the <c>breaker_state</c> gauges report.</summary>
internal enum StoreBreakerState
{
    /// <summary>Calls go to the store.</summary>
    Closed = 0,

    /// <summary>The store is skipped until the break ends.</summary>
    Open = 1,

    /// <summary>The break ended and the one background probe is out; the store is still skipped.</summary>
    Probing = 2,
}
