using Okome.Tool.Configuration;
using Okome.Tool.Connectivity;
using Okome.Tool.Output;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Okome.Tool.Commands;

/// <summary>
/// <c>okome validate</c>: the service's own options validation, then Redis and every upstream; one line per check and a
/// non-zero exit naming what failed (a configuration key, "Redis unreachable").
/// </summary>
internal sealed class ValidateCommand(IAnsiConsole console) : AsyncCommand<ConfigSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ConfigSettings settings, CancellationToken cancellationToken)
    {
        if (ServiceConfiguration.LoadOrReport(settings.Config, console) is not { } configuration)
        {
            return ExitCodes.Usage;
        }

        console.MarkupLine("Configuration: " + Markup.Escape(configuration.Source));
        var report = new CheckReport(console);
        var errors = configuration.Validate();
        if (errors.Count == 0)
        {
            report.Pass("configuration: every Okome value is valid");
        }

        foreach (var message in errors)
        {
            report.Fail("configuration: " + message, KeyOf(message));
        }

        if (report.Failures.Contains("Okome:Redis"))
        {
            report.Skip("Redis: checks skipped, the connection string itself is not valid");
        }
        else if (configuration.Redis is { } redis)
        {
            await RedisChecks.RunAsync(redis, report).ConfigureAwait(false);
        }
        else
        {
            report.Skip("Redis: Okome:Redis is empty, the service keeps its cache, budgets and health in memory; Redis checks skipped");
        }

        var upstreams = configuration.Upstreams();
        if (upstreams.Count == 0)
        {
            report.Skip("upstream: Okome:Upstream:BaseUrl is empty, the service answers with its built-in simulator; no upstream to check");
        }

        await UpstreamChecks.RunAsync(upstreams, configuration.UpstreamApiKey, configuration.ProbeTimeout, report, cancellationToken).ConfigureAwait(false);
        return report.Finish();
    }

    /// <summary>The key a validation message starts with (<c>Okome:Budget:Burst must be …</c>), or the binder's quoted path.</summary>
    internal static string KeyOf(string message)
    {
        var quoted = message.IndexOf("'Okome:", StringComparison.Ordinal);
        if (quoted >= 0)
        {
            var end = message.IndexOf('\'', quoted + 1);
            if (end > quoted)
            {
                return message[(quoted + 1)..end];
            }
        }

        var space = message.IndexOf(' ', StringComparison.Ordinal);
        return message.StartsWith("Okome:", StringComparison.Ordinal) && space > 0 ? message[..space] : "configuration";
    }
}
