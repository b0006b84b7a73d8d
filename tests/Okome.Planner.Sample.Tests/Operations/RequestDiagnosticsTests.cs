using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Operations;

/// <summary>
/// ASP.NET Core's hosting creates an <c>Activity</c> and a request log scope for every request when its diagnostics
/// category logs at any level: ~950 B and a quarter of a cached HIT's CPU with nothing to read them (no tracer without
/// an OTLP collector, no scopes in the console formats). The service's settings turn that category off.
/// </summary>
public sealed class RequestDiagnosticsTests
{
    [Fact]
    public async Task ServiceSettings_HostingDiagnosticsCategory_IsOffAtEveryLevel()
    {
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        var service = bed.StartInstance();
        using var client = service.CreateClient(); // builds the host

        var loggers = service.Services.GetRequiredService<ILoggerFactory>();

        loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Critical).Should().BeFalse();
        loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Warning).Should().BeTrue("the rest of ASP.NET Core still logs its warnings");
    }
}
