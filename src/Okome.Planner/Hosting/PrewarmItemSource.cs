using Okome.Planner.Prewarm;

namespace Okome.Planner.Hosting;

/// <summary>One <c>AddOkomePlannerPrewarm</c> call's items factory; <see cref="PrewarmHostedService"/> keeps the items of every call fresh.</summary>
internal sealed class PrewarmItemSource
{
    public PrewarmItemSource(Func<IServiceProvider, IEnumerable<PrewarmItem>> itemsFactory)
    {
        ItemsFactory = itemsFactory;
    }

    public Func<IServiceProvider, IEnumerable<PrewarmItem>> ItemsFactory { get; }
}
