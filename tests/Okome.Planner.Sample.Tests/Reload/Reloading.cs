using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Okome.Planner.Sample.Api;
using Okome.Planner.Sample.Hosting;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Reload;

/// <summary>What the reload tests share: a running instance whose configuration a test rewrites, and key hashes.</summary>
internal static class Reloading
{
    /// <summary>The category of the reload's log lines.</summary>
    public static readonly string Category = typeof(ConfigurationReload).FullName!;

    /// <summary>
    /// The instance with <paramref name="settings"/> as its last configuration provider (a test changes them while it runs,
    /// as an operator saves appsettings.json) and, when given, <paramref name="time"/> as its clock.
    /// </summary>
    public static WebApplicationFactory<Program> Reloadable(this OkomeService service, ReloadableSettings settings, TimeProvider? time = null)
        => service.WithWebHostBuilder(builder =>
        {
            builder.ConfigureAppConfiguration(config => config.Add(settings));
            if (time is not null)
            {
                builder.ConfigureTestServices(services =>
                {
                    services.RemoveAll<TimeProvider>();
                    services.AddSingleton(time);
                });
            }
        });

    /// <summary>The key's hash as <c>okome key-hash</c> prints it (the key's budget and canary partition).</summary>
    public static string Hash(string key) => ApiKeys.Partition("Bearer " + key).Partition;

    /// <summary>A new API key.</summary>
    public static string NewKey(string name) => "sk-" + name + "-" + Guid.NewGuid().ToString("N");

    /// <summary>The messages the reload logged (Information and above), in order.</summary>
    public static List<string> Lines(CapturedLogs logs) => [.. logs.Of(Category).Select(static entry => entry.Message)];
}
