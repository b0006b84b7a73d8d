using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Okome.Planner.Sample.Tests.Hosting;

/// <summary>
/// One in-process instance of the OKOME service (<c>samples/Okome.Planner.Sample</c>) under <see cref="WebApplicationFactory{TEntryPoint}"/>.
/// Settings go in through <c>UseSetting</c>, which the minimal-hosting factory hands to <c>WebApplication.CreateBuilder</c>,
/// so the service sees them while it builds (not only after). Two instances built from the same settings act as two
/// service processes on one Redis.
/// </summary>
public sealed class OkomeService : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly TimeProvider? _time;

    /// <summary>Creates an instance (started on first use) with <paramref name="settings"/> and, when given, a replacement clock.</summary>
    public OkomeService(IReadOnlyDictionary<string, string?> settings, TimeProvider? time)
    {
        _settings = settings;
        _time = time;
    }

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.ConfigureTestServices(services =>
        {
            if (_time is not null)
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton(_time);
            }
        });
    }
}
