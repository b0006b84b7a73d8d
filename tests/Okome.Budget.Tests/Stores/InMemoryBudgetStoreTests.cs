using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Stores;

namespace Okome.Budget.Tests.Stores;

/// <summary>The store contract against the in-memory store, with fake time.</summary>
public sealed class InMemoryBudgetStoreTests : BudgetStoreContract
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryBudgetStore _store;

    public InMemoryBudgetStoreTests() => _store = new InMemoryBudgetStore(_time);

    internal override Task<IBudgetStore> CreateStoreAsync() => Task.FromResult<IBudgetStore>(_store);

    internal override Task<IBudgetStore[]> CreateSharedStoresAsync(int count)
        => Task.FromResult(Enumerable.Repeat<IBudgetStore>(_store, count).ToArray());

    protected override Task PassTimeAsync(TimeSpan duration)
    {
        _time.Advance(duration);
        return Task.CompletedTask;
    }
}
