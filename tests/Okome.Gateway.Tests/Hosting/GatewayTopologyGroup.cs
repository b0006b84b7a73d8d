namespace Okome.Gateway.Tests.Hosting;

/// <summary>The tests that share one <see cref="GatewayTopology"/>: they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class GatewayTopologyGroup : ICollectionFixture<GatewayTopology>
{
    public const string Name = "gateway topology";
}
