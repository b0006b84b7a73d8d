using Okome.Budget.Diagnostics;
using Okome.Caching.Diagnostics;
using Okome.Caching.Keys;
using Okome.Planner.Diagnostics;

// A consumer of the packages: uses public API from each, and fails loudly if anything is off.
var key = new CacheKey("chat", UInt128.MaxValue);
if (key.ToString() != "chat:ffffffffffffffffffffffffffffffff")
{
    Console.Error.WriteLine($"unexpected key text: {key}");
    return 1;
}

Console.WriteLine($"consumer ok: {CachingDiagnostics.MeterName}, {BudgetDiagnostics.MeterName}, {PlannerDiagnostics.MeterName}, key {key}");
return 0;
