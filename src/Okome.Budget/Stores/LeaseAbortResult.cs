namespace Okome.Budget.Stores;

/// <summary>What <see cref="IBudgetStore.AbortAsync"/> did (the first number <c>abort.lua</c> returns).</summary>
internal enum LeaseAbortResult
{
    /// <summary>Nothing to undo: the acquire had not run, was denied, or its lease had already expired. The tombstone is set.</summary>
    NothingToUndo = 0,

    /// <summary>The acquire had run and granted a lease: its reservation, rate emission and slots were given back.</summary>
    Undone = 1,

    /// <summary>The lease id was aborted before; nothing changed.</summary>
    AlreadyAborted = 2,

    /// <summary>The lease had been settled or released by a holder; nothing was undone.</summary>
    Ended = 3,
}
