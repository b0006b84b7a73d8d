using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Okome.Samples.Hosting;

namespace Okome.Planner.Sample.Tests.Operations;

/// <summary>Inline scheduling of the socket transport: only when the operator turned the runtime's inline completions on.</summary>
public sealed class InlineSocketSchedulingTests
{
    [Theory]
    [InlineData("1", true)]
    [InlineData(null, false)]
    [InlineData("0", false)]
    [InlineData("true", false)]
    public void Apply_RuntimeVariable_TurnsInlineSchedulingOnOnlyForOne(string? variable, bool expected)
    {
        var builder = WebApplication.CreateSlimBuilder();

        var applied = InlineSocketScheduling.Apply(builder.WebHost, variable);

        applied.Should().Be(expected);
        using var app = builder.Build();
        app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling.Should().Be(expected);
    }
}
