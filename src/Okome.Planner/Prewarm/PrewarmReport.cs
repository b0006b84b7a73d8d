namespace Okome.Planner.Prewarm;

/// <summary>What one pre-warm round did: counts per outcome and each item's result, in list order.</summary>
internal sealed class PrewarmReport
{
    /// <summary>Creates a report.</summary>
    /// <param name="items">Each item's result.</param>
    public PrewarmReport(IReadOnlyList<PrewarmItemResult> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        Items = items;
        foreach (var item in items)
        {
            switch (item.Outcome)
            {
                case PrewarmOutcome.Refreshed:
                    Refreshed++;
                    break;
                case PrewarmOutcome.AlreadyFresh:
                    AlreadyFresh++;
                    break;
                case PrewarmOutcome.Refused:
                    Refused++;
                    break;
                default:
                    Failed++;
                    break;
            }
        }
    }

    /// <summary>Items fetched again and stored.</summary>
    public int Refreshed { get; }

    /// <summary>Items fresh for long enough: nothing done.</summary>
    public int AlreadyFresh { get; }

    /// <summary>Items whose refresh the planner refused (budget, down, maintenance, shedding).</summary>
    public int Refused { get; }

    /// <summary>Items whose refresh failed.</summary>
    public int Failed { get; }

    /// <summary>Each item's result, in list order.</summary>
    public IReadOnlyList<PrewarmItemResult> Items { get; }
}
