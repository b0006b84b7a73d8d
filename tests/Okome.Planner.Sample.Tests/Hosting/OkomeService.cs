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
    private readonly CapturedLogs? _logs;

    /// <summary>Creates an instance (started on first use) with <paramref name="settings"/> and, when given, a replacement clock.</summary>
    public OkomeService(IReadOnlyDictionary<string, string?> settings, TimeProvider? time)
        : this(settings, time, null)
    {
    }

    /// <summary>
    /// Creates an instance with <paramref name="settings"/>, a replacement clock and, when given, <paramref name="logs"/>
    /// capturing every log entry of Warning and above plus the access lines (category <c>Okome.Access</c>, Information).
    /// </summary>
    public OkomeService(IReadOnlyDictionary<string, string?> settings, TimeProvider? time, CapturedLogs? logs)
    {
        _settings = settings;
        _time = time;
        _logs = logs;
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

        builder.ConfigureLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Warning);
            if (_logs is not null)
            {
                logging.AddProvider(_logs);
                logging.AddFilter<CapturedLogs>(Okome.Planner.Access.AccessLog.Category, LogLevel.Information);
            }
        });
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
