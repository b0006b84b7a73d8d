using Okome.Budget.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Budget.Tests.Stores;

/// <summary>The store contract against a real Redis, in one of the store's modes; each subclass picks the mode.</summary>
public abstract class RedisBudgetStoreVariantTests : BudgetStoreContract, IAsyncLifetime
{
    private readonly List<ConnectionMultiplexer> _connections = [];

    protected string Prefix { get; } = TestRedis.UniqueNamespace();

    protected TestRedisServer Redis { get; private set; } = null!;

    public async Task InitializeAsync() => Redis = await TestRedis.GetAsync();

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    internal abstract RedisBudgetStore Create(IConnectionMultiplexer redis);

    internal override Task<IBudgetStore> CreateStoreAsync() => Task.FromResult<IBudgetStore>(Create(Redis.Multiplexer));

    internal override async Task<IBudgetStore[]> CreateSharedStoresAsync(int count)
    {
        var stores = new IBudgetStore[count];
        for (var i = 0; i < count; i++)
        {
            var connection = await Redis.ConnectNewAsync();
            _connections.Add(connection);
            stores[i] = Create(connection);
        }

        return stores;
    }

    protected override Task PassTimeAsync(TimeSpan duration) => Task.Delay(duration, TimeProvider.System);
}
