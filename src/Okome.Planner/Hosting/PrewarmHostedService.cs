using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Okome.Planner.Diagnostics;
using Okome.Planner.Execution;
using Okome.Planner.Prewarm;

namespace Okome.Planner.Hosting;

/// <summary>
/// Runs pre-warm rounds over the items of every <c>AddOkomePlannerPrewarm</c> call for the life of the host: a round at
/// start-up, then one every <see cref="PrewarmOptions.Interval"/>, and one at once when a namespace of an item is bumped
/// (<see cref="Caching.ResponseCache.NamespaceInvalidated"/>: its entries are gone). When
/// <c>IOptionsMonitor&lt;PrewarmOptions&gt;</c> reports a change, the items factories are called again and the next round,
/// run at once, uses the new items and schedule. A factory that throws is logged and the last good items stay; the host
/// keeps running either way. See <c>Prewarm/readme.md</c>.
/// </summary>
internal sealed class PrewarmHostedService : BackgroundService
{
    private readonly IServiceProvider _services;
    private readonly PlanExecutor _executor;
    private readonly PrewarmItemSource[] _sources;
    private readonly IOptionsMonitor<PrewarmOptions> _options;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly ILogger _logger;

    // Set by a change of the options: the loop rebuilds the items before its next round.
    private int _reload;

    // Completed to run a round now (a reload, a bump); replaced by the loop before each round.
    private TaskCompletionSource _wake = NewWake();

    // The namespaces of the items in force: a bump of one of them wakes the loop.
    private volatile HashSet<string> _namespaces = new(StringComparer.Ordinal);

    public PrewarmHostedService(
        IServiceProvider services, PlanExecutor executor, IEnumerable<PrewarmItemSource> sources, IOptionsMonitor<PrewarmOptions> options, ILoggerFactory? loggerFactory, ILogger logger)
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
        using var reloads = _options.OnChange((_, name) =>
        {
            if (string.IsNullOrEmpty(name))
            {
                Volatile.Write(ref _reload, 1);
                Wake();
            }
        });
        _executor.Cache.NamespaceInvalidated += OnNamespaceInvalidated;
        try
        {
            await RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A hosted loop must never stop the host: the failure is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.PrewarmLoopFailed(_logger, ex);
        }
        finally
        {
            _executor.Cache.NamespaceInvalidated -= OnNamespaceInvalidated;
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var prewarmer = Build(_options.CurrentValue, null, first: true);
        var interval = _options.CurrentValue.Interval;
        var timer = new PeriodicTimer(interval, _executor.Time);
        Task<bool>? tick = null;
        try
        {
            while (true)
            {
                // The wake is replaced before the reload flag is read, so a wake from here on runs another round.
                Interlocked.Exchange(ref _wake, NewWake());
                if (Interlocked.Exchange(ref _reload, 0) == 1)
                {
                    var options = _options.CurrentValue;
                    prewarmer = Build(options, prewarmer, first: false);
                    if (options.Interval != interval)
                    {
                        // A new schedule from now; the old timer's pending tick ends (false) and is not awaited again.
                        interval = options.Interval;
                        timer.Dispose();
                        timer = new PeriodicTimer(interval, _executor.Time);
                        tick = null;
                    }
                }

                if (prewarmer is not null)
                {
                    await RunRoundAsync(prewarmer, stoppingToken).ConfigureAwait(false);
                }

                // Until the next tick or a wake, whichever comes first; a pending tick is kept for the next wait.
                tick ??= timer.WaitForNextTickAsync(stoppingToken).AsTask();
                var woke = Volatile.Read(ref _wake).Task;
                if (await Task.WhenAny(tick, woke).ConfigureAwait(false) == tick)
                {
                    if (!await tick.ConfigureAwait(false))
                    {
                        return;
                    }

                    tick = null;
                }
            }
        }
        finally
        {
            timer.Dispose();
        }
    }

    private async Task RunRoundAsync(Prewarmer prewarmer, CancellationToken stoppingToken)
    {
        try
        {
            await prewarmer.RunOnceAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // The schedule goes on whatever one round did.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.PrewarmRunFailed(_logger, ex);
        }
    }

    /// <summary>
    /// The pre-warmer of the items the factories give now; null when there are none. A factory that throws (or items the
    /// pre-warmer refuses) keeps <paramref name="current"/>.
    /// </summary>
    private Prewarmer? Build(PrewarmOptions options, Prewarmer? current, bool first)
    {
        try
        {
            var items = new List<PrewarmItem>();
            foreach (var source in _sources)
            {
                items.AddRange(source.ItemsFactory(_services) ?? []);
            }

            _namespaces = items.Select(static item => item.Request.Cache.Key.Namespace).ToHashSet(StringComparer.Ordinal);
            if (first && items.Count == 0)
            {
                Log.PrewarmNothing(_logger);
            }
            else if (!first)
            {
                Log.PrewarmItemsReloaded(_logger, items.Count);
            }

            return items.Count == 0 ? null : new Prewarmer(_executor, items, options, _loggerFactory);
        }
#pragma warning disable CA1031 // A hosted loop must never stop the host: the failure is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.PrewarmItemsFailed(_logger, ex);
            return current;
        }
    }

    private void OnNamespaceInvalidated(string cacheNamespace)
    {
        if (_namespaces.Contains(cacheNamespace))
        {
            Log.PrewarmAfterBump(_logger, cacheNamespace);
            Wake();
        }
    }

    private void Wake() => Volatile.Read(ref _wake).TrySetResult();

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
