using Okome.Gateway.Tests.Fakes;

namespace Okome.Gateway.Tests.Hosting;

/// <summary>A gateway process in front of <see cref="StubService"/> instances (no Redis), shared by the tests of one class.</summary>
public abstract class StubbedGateway : IAsyncLifetime
{
    private readonly int _stubs;

    protected StubbedGateway(int stubs) => _stubs = stubs;

    public IReadOnlyList<StubService> Stubs { get; private set; } = [];

    public NodeProcess Gateway { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Stubs = await Task.WhenAll(Enumerable.Range(0, _stubs).Select(_ => StubService.StartAsync()));
        Gateway = await NodeProcess.StartAsync(
            $"gateway ({_stubs} stubs)", NodeProcess.GatewayDll, GatewayTopology.GatewaySettings(null, [.. Stubs.Select(stub => stub.BaseAddress)]));
        Client = new HttpClient { BaseAddress = Gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        foreach (var stub in Stubs)
        {
            await stub.DisposeAsync();
        }
    }
}

/// <summary>A gateway in front of one stub.</summary>
public sealed class OneStubGateway() : StubbedGateway(1);

/// <summary>A gateway in front of two stubs.</summary>
public sealed class TwoStubGateway() : StubbedGateway(2);
