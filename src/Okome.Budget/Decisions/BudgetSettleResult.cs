namespace Okome.Budget.Decisions;

/// <summary>What settling or releasing a lease did.</summary>
public enum BudgetSettleResult
{
    /// <summary>No such lease: it expired (its reservation stays charged) or never existed. Nothing changed.</summary>
    NotFound = 0,

    /// <summary>The lease was settled now: quotas were corrected to the actual cost and concurrency slots freed.</summary>
    Settled = 1,

    /// <summary>The lease had already been settled or released; nothing changed (a retried settle never charges twice).</summary>
    AlreadySettled = 2,
}
