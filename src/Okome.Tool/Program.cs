using Okome.Tool.Commands;
using Okome.Tool.Output;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Okome.Tool;

/// <summary>The <c>okome</c> command: one sub-command per operator task (docs/operations.md).</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var console = ToolConsole.Create();
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("okome");
            config.ConfigureConsole(console);
            config.Settings.Registrar.RegisterInstance<IAnsiConsole>(console);
            config.AddCommand<ValidateCommand>("validate")
                .WithDescription("Checks a configuration with the service's own validator, then Redis and every upstream.")
                .WithExample("validate", "--config", "/etc/okome/appsettings.json");
            config.AddCommand<HitRatioCommand>("hit-ratio")
                .WithDescription("Counts cache statuses and the hit ratio in an access log (JSON lines), overall, per route and per hour.")
                .WithExample("hit-ratio", "/var/log/okome/access.json", "--by", "hour");
            config.AddCommand<MaintenanceCommand>("maintenance")
                .WithDescription("Switches maintenance on or off, or shows it: in Redis when configured, else through the service's admin endpoint.")
                .WithExample("maintenance", "on", "--config", "appsettings.json");
            config.AddBranch("cache", cache =>
            {
                cache.SetDescription("Cache operations.");
                cache.AddCommand<CacheBumpCommand>("bump")
                    .WithDescription("Bumps a cache namespace's version in Redis: every entry of the old version stops being served.")
                    .WithExample("cache", "bump", "chat");
            });
            config.AddCommand<PrewarmCommand>("prewarm")
                .WithDescription("Sends each chat completion request of a JSON lines file to the service at background priority.")
                .WithExample("prewarm", "requests.jsonl", "--url", "http://127.0.0.1:8000");
            config.AddCommand<KeyHashCommand>("key-hash")
                .WithDescription("Prints an API key's hash as the service shows it in budget partitions and log lines.")
                .WithExample("key-hash", "sk-example");
        });
        return await app.RunAsync(args).ConfigureAwait(false);
    }
}
