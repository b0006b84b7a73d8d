using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Caching;
using Okome.Planner.Sample.Api;
using Okome.Tool.Configuration;
using Okome.Tool.Connectivity;
using Okome.Tool.Output;
using Spectre.Console;
using Spectre.Console.Cli;
using StackExchange.Redis;

namespace Okome.Tool.Commands;

/// <summary>
/// <c>okome cache bump &lt;namespace&gt;</c>: bumps the namespace's version in Redis through the cache library
/// (<see cref="ResponseCache.InvalidateNamespaceAsync"/>), so every instance stops serving the old entries.
/// </summary>
internal sealed class CacheBumpCommand(IAnsiConsole console) : AsyncCommand<CacheBumpCommand.Settings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (ServiceConfiguration.LoadOrReport(settings.Config, console) is not { } configuration)
        {
            return ExitCodes.Usage;
        }

        if (configuration.Redis is not { } redis)
        {
            console.MarkupLine("[red]✗[/] Okome:Redis is empty: the service keeps its cache in memory, in its own process, so the namespace must be bumped on the running service (a restart empties it)");
            return ExitCodes.Failed;
        }

        var report = new CheckReport(console);
        await using var multiplexer = await RedisAccess.ConnectAsync(redis, report).ConfigureAwait(false);
        if (multiplexer is null)
        {
            return report.Finish();
        }

        // The service's cache uses the library's default key layout; freshness settings do not matter for a bump.
        var cache = ResponseCache.CreateRedis(multiplexer, new ResponseCacheOptions(), TimeProvider.System, NullLoggerFactory.Instance, null);
        try
        {
            var version = await cache.InvalidateNamespaceAsync(settings.Namespace, cancellationToken).ConfigureAwait(false);
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"✓ namespace {settings.Namespace} is now at version {version}: the entries of earlier versions are no longer served")));
            return ExitCodes.Ok;
        }
        catch (ArgumentException ex)
        {
            console.MarkupLine("[red]✗[/] " + Markup.Escape(ex.Message));
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            report.Fail("Redis did not take the bump: " + ex.Message, RedisAccess.Unreachable);
            return report.Finish();
        }
        finally
        {
            (cache as IDisposable)?.Dispose();
        }
    }

    /// <summary>The command line of <c>okome cache bump</c>.</summary>
    internal sealed class Settings : ConfigSettings
    {
        [CommandArgument(0, "<NAMESPACE>")]
        [Description("The cache namespace; the service's chat completions are in \"" + ChatPlannedRequestBuilder.CacheNamespace + "\".")]
        public string Namespace { get; init; } = "";
    }
}
