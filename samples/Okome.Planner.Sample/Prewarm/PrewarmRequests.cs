using System.Globalization;
using System.Text;
using Okome.Caching.Freshness;
using Okome.Planner.Decisions;
using Okome.Planner.Prewarm;
using Okome.Planner.Sample.Api;
using Okome.Planner.Sample.Hosting;

namespace Okome.Planner.Sample.Prewarm;

/// <summary>
/// The pre-warm list of <c>Okome:Prewarm:Requests</c>, built through the same <see cref="ChatPlannedRequestBuilder"/> as a
/// client's request, so each pre-warmed entry is the one an identical client request reads. The library's hosted service
/// (<c>AddOkomePlannerPrewarm</c>) calls <see cref="Create"/> on its own thread when the service starts, and again after
/// every reload <see cref="ConfigurationReload"/> applied (through the <c>PrewarmOptions</c> monitor).
/// </summary>
internal static class PrewarmRequests
{
    /// <summary>The items (none when no requests are configured). The bodies were validated at start-up.</summary>
    public static IEnumerable<PrewarmItem> Create(IServiceProvider services)
    {
        // The settings in force: the library calls this again after a reload (its PrewarmOptions monitor), so a new list applies.
        var options = services.GetRequiredService<AppliedSettings>().Current;
        var requests = options.Prewarm.Requests;
        if (requests.Count == 0)
        {
            return [];
        }

        var builder = services.GetRequiredService<ChatPlannedRequestBuilder>();
        var (partition, hasAuthorization) = ApiKeys.Partition(string.IsNullOrWhiteSpace(options.Prewarm.ApiKey) ? null : "Bearer " + options.Prewarm.ApiKey);

        // No namespace version here: the cache applies the current one whenever an item runs, so after a bump the list
        // warms the new keys.
        var client = new ChatClientFacts(
            partition, hasAuthorization, CacheControl.Parse(string.Empty), RequestPriority.Background, null, null, services.GetRequiredService<BudgetTiers>().PolicyOf(partition));
        var items = new List<PrewarmItem>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            var body = Encoding.UTF8.GetBytes(requests[i]);
            if (!ChatRequestParser.TryParse(body, out var chat, out _)
                || !builder.TryBuild(body, chat, client, out var planned, out var upstream))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Okome:Prewarm:Requests:{i} is not a valid chat completion request."));
            }

            // The name goes into reports and logs: the configuration key, never the prompt.
            items.Add(new PrewarmItem(string.Create(CultureInfo.InvariantCulture, $"Okome:Prewarm:Requests:{i}"), planned, upstream));
        }

        return items;
    }
}
