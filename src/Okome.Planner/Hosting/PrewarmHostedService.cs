using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Okome.Planner.Diagnostics;
using Okome.Planner.Execution;
using Okome.Planner.Prewarm;

namespace Okome.Planner.Hosting;

/// <summary>
/// Runs a <see cref="Prewarmer"/> over the items of every <c>AddOkomePlannerPrewarm</c> call for the life of the host: the
/// items factories are called once, on the loop's thread when the host starts, then <see cref="Prewarmer.RunAsync"/>
/// refreshes them every <see cref="PrewarmOptions.Interval"/>. A factory that throws is logged and nothing is pre-warmed;
/// the host keeps running either way.
/// </summary>
internal sealed class PrewarmHostedService : BackgroundService
{
    private readonly IServiceProvider _services;
    private readonly PlanExecutor _executor;
    private readonly PrewarmItemSource[] _sources;
    private readonly PrewarmOptions _options;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly ILogger _logger;

    public PrewarmHostedService(IServiceProvider services, PlanExecutor executor, IEnumerable<PrewarmItemSource> sources, PrewarmOptions options, ILoggerFactory? loggerFactory, ILogger logger)
    {
        _services = services;
        _executor = executor;
        _sources = sources.ToArray();
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Prewarmer prewarmer;
        try
        {
            var items = new List<PrewarmItem>();
            foreach (var source in _sources)
            {
                items.AddRange(source.ItemsFactory(_services) ?? []);
            }

            if (items.Count == 0)
            {
                Log.PrewarmNothing(_logger);
                return;
            }

            prewarmer = new Prewarmer(_executor, items, _options, _loggerFactory);
        }
#pragma warning disable CA1031 // A hosted loop must never stop the host: the failure is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.PrewarmItemsFailed(_logger, ex);
            return;
        }

        try
        {
            await prewarmer.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // As above.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.PrewarmLoopFailed(_logger, ex);
        }
    }
}
