using System.Text;
using Okome.Budget;
using Okome.Budget.Policies;
using Okome.Caching;
using Okome.Caching.Keys;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Planner.Diagnostics;

// A consumer of the packed packages, as 'dotnet add package' users would write it. Fails loudly if anything is off.
var builder = new CacheKeyBuilder(new CacheKeyPolicy());
var cache = ResponseCache.CreateInMemory(new ResponseCacheOptions(), new InMemoryCacheStoreOptions(), TimeProvider.System);
var body = """{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}"""u8.ToArray();
// Version 0: the cache applies the namespace's current version itself.
var key = builder.Build(new CacheKeyRequest("chat", 0, "POST", "/v1/chat/completions", body));
var calls = 0;
UpstreamFactory upstream = (_, _) =>
{
    calls++;
    return ValueTask.FromResult(UpstreamResponse.FromBody(200, [new("content-type", "application/json")], "{\"answer\":42}"u8.ToArray()));
};

var first = await cache.GetOrCreateAsync(new CacheRequest(key), upstream, default);
var firstBody = Encoding.UTF8.GetString(await first.ReadBodyAsync(default));
var second = await cache.GetOrCreateAsync(new CacheRequest(key), upstream, default);
if (first.Status != CacheStatus.Miss || second.Status != CacheStatus.Hit || calls != 1 || firstBody != "{\"answer\":42}")
{
    Console.Error.WriteLine($"cache: unexpected {first.Status}/{second.Status}, {calls} calls, body {firstBody}");
    return 1;
}

var budgets = BudgetService.CreateInMemory(TimeProvider.System);
var policy = new BudgetPolicy("chat", [BudgetLimit.Quota("tokens", 2, TimeSpan.FromDays(1))]);
var granted = 0;
for (var i = 0; i < 3; i++)
{
    await using var lease = await budgets.AcquireAsync(policy, "api-key-1", 1, default);
    granted += lease.IsAcquired ? 1 : 0;
}

if (granted != 2)
{
    Console.Error.WriteLine($"budget: {granted} of 3 granted against a quota of 2");
    return 1;
}

// Source Link in each packed assembly, pointing at the repository (.ci/run passes the URL prefix it expects).
var sourceLinkUrl = Environment.GetEnvironmentVariable("OKOME_SOURCELINK_URL");
if (!string.IsNullOrEmpty(sourceLinkUrl))
{
    var problems = new[] { typeof(ResponseCache), typeof(BudgetService), typeof(PlannerDiagnostics) }
        .Select(type => SourceLinkCheck.Problem(type.Assembly.Location, sourceLinkUrl))
        .OfType<string>()
        .ToArray();
    if (problems.Length > 0)
    {
        Console.Error.WriteLine("source link: " + string.Join(Environment.NewLine + "source link: ", problems));
        return 1;
    }

    Console.WriteLine($"source link ok: the three packed assemblies map their sources to {sourceLinkUrl}");
}

Console.WriteLine($"consumer ok: {first.Status} then {second.Status} ({second.ToCacheStatus("OKOME")}), budget granted {granted}/3, meter {PlannerDiagnostics.MeterName}");
return 0;
