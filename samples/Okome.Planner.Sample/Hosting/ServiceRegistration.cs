using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Okome.Budget;
using Okome.Budget.DependencyInjection;
using Okome.Budget.Diagnostics;
using Okome.Caching;
using Okome.Caching.DependencyInjection;
using Okome.Caching.Diagnostics;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;
using Okome.Planner.Access;
using Okome.Planner.Canary;
using Okome.Planner.DependencyInjection;
using Okome.Planner.Diagnostics;
using Okome.Planner.Execution;
using Okome.Planner.Health;
using Okome.Planner.HealthChecks;
using Okome.Planner.Prewarm;
using Okome.Planner.Sample.Api;
using Okome.Planner.Sample.Prewarm;
using Okome.Planner.Sample.Simulator;
using Okome.Planner.Sample.Upstream;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Okome.Planner.Sample.Hosting;

/// <summary>
/// Registers the service: validated options, one Redis connection (or none), the cache, the budget, the health monitor and
/// the executor (with its GPU slots) through the packages' own <c>AddOkome…</c> methods and options, the upstreams, and
/// the library's hosted health-probe and pre-warm loops. Everything is built from the validated options when first
/// resolved, so a test host can swap the <see cref="TimeProvider"/> or the <c>okome-upstream</c> HTTP handler; only the
/// store choice (Redis when <c>Okome:Redis</c> is set) is read while registering, since the packages choose it there.
/// </summary>
internal static class ServiceRegistration
{
    // OpenTelemetry's default histogram buckets (0, 5, 10, 25, … 10000) suit milliseconds; the Okome durations are in seconds.
    private static readonly ExplicitBucketHistogramConfiguration SecondsBuckets = new()
    {
        Boundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    };

    public static IServiceCollection AddOkomeService(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        // Bound once, with no change token: the options monitor that ValidateOnStart creates would otherwise re-run the
        // validator on every configuration reload and throw out of the reload callback on a bad edit. Reloads go through
        // ConfigurationReload, which validates the new configuration itself, keeps the last good one in AppliedSettings, and
        // tells the libraries' options monitors (cache windows, canary, pre-warm) through AppliedSettings' change token.
        var section = configuration.GetSection(SampleOptions.Section);
        services.AddOptions<SampleOptions>().Configure(options => section.Bind(options)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SampleOptions>, SampleOptionsValidator>());

        services.AddHttpClient(HttpChatUpstream.ClientName, static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler
            {
                AutomaticDecompression = DecompressionMethods.All,
                ConnectTimeout = TimeSpan.FromSeconds(10),
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            });

        services.AddSingleton(static provider => new RedisConnection(provider.GetRequiredService<IOptions<SampleOptions>>().Value.Redis));
        services.AddSingleton<StoreHealth>();
        services.AddHealthChecks().AddOkomeHealthChecks();
        services.AddSingleton(new CacheKeyPolicy());
        services.AddSingleton(static provider => new CacheKeyBuilder(provider.GetRequiredService<CacheKeyPolicy>()));
        AddOkomeLibraries(services, !string.IsNullOrWhiteSpace(configuration.GetSection(SampleOptions.Section)[nameof(SampleOptions.Redis)]));
        services.AddSingleton(CreateUpstreams);
        services.AddSingleton(static provider => new BudgetTiers(Options(provider).Budget));
        services.AddSingleton<AppliedSettings>();
        services.AddHostedService<ConfigurationReload>();
        services.AddSingleton<ChatPlannedRequestBuilder>();
        services.AddSingleton<ChatCompletionsHandler>();
        services.AddSingleton<EmbeddingsHandler>();

        // The library's hosted loops: the shared health probe (GET {base URL}/models of every host, 2xx within
        // Okome:Health:TimeoutSeconds; the simulator is always healthy) and the pre-warm list (Okome:Prewarm; the loop ends at once when it is empty).
        services.AddOkomePlannerHealthProbe(static provider =>
        {
            var upstreams = provider.GetRequiredService<UpstreamRouter>();
            var timeout = TimeSpan.FromSeconds(Options(provider).Health.TimeoutSeconds);
            return (host, cancellationToken) => upstreams.Get(host).ProbeAsync(timeout, cancellationToken);
        });
        services.AddOkomePlannerPrewarm(PrewarmRequests.Create);
        services.AddOptions<PrewarmOptions>().Configure<AppliedSettings>(static (prewarm, applied) =>
        {
            prewarm.Interval = TimeSpan.FromSeconds(applied.Current.Prewarm.IntervalSeconds);
            prewarm.RefreshAhead = TimeSpan.FromSeconds(applied.Current.Prewarm.RefreshAheadSeconds);
        });
        AddReloadSource<PrewarmOptions>(services);

        services.AddSingleton(static provider => new AccessLog(provider.GetRequiredService<ILoggerFactory>(), provider.GetService<IMeterFactory>()));
        ConsoleFormats.Add(services);
        AddTelemetry(services, configuration);
        return services;
    }

    /// <summary>
    /// Metrics (the three Okome meters, ASP.NET Core's HTTP server and the .NET runtime) at <c>/metrics</c>, under
    /// <c>service.name</c>/<c>service.instance.id</c> from <c>Okome:Telemetry</c>; when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// is set, the metrics and the traces of the three Okome activity sources and ASP.NET Core go to that OTLP collector.
    /// </summary>
    /// <remarks>
    /// Without a collector no tracer is registered: the traces would have nowhere to go, and a sampled trace costs every
    /// request its activities and their tags (about 8 % of a cached HIT's allocations, docs/benchmarks.md#hit-path).
    /// </remarks>
    private static void AddTelemetry(IServiceCollection services, IConfiguration configuration)
    {
        var telemetry = configuration.GetSection(SampleOptions.Section).GetSection("Telemetry").Get<SampleOptions.TelemetrySettings>() ?? new();
        var serviceName = string.IsNullOrWhiteSpace(telemetry.ServiceName) ? SampleOptions.TelemetrySettings.DefaultServiceName : telemetry.ServiceName;
        var instanceId = string.IsNullOrWhiteSpace(telemetry.InstanceId) ? DefaultInstanceId(configuration) : telemetry.InstanceId;
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

        var openTelemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceInstanceId: instanceId, autoGenerateServiceInstanceId: false))
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(CachingDiagnostics.MeterName, BudgetDiagnostics.MeterName, PlannerDiagnostics.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddView(static instrument => instrument.Unit == "s" ? SecondsBuckets : null)
                    .AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            openTelemetry.WithTracing(static tracing => tracing
                .AddSource(CachingDiagnostics.ActivitySourceName, BudgetDiagnostics.ActivitySourceName, PlannerDiagnostics.ActivitySourceName)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter());
        }
    }

    /// <summary>The machine name and the port of the first of <c>Urls</c> (<c>gpu-front-1:8000</c>); a new GUID without a port.</summary>
    private static string DefaultInstanceId(IConfiguration configuration)
    {
        var first = (configuration["urls"] ?? configuration["ASPNETCORE_URLS"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        var port = first is null ? null : first[(first.LastIndexOf(':') + 1)..].TrimEnd('/');
        return int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Environment.MachineName}:{number}")
            : Guid.NewGuid().ToString("N");
    }

    /// <summary>
    /// The cache, the budget, the health monitor and the executor, each with its package's own <c>AddOkome…</c> method and
    /// its options set from <c>Okome:</c> (read when first resolved). All three run on the one Redis connection when
    /// <c>Okome:Redis</c> is set, in memory otherwise.
    /// </summary>
    private static void AddOkomeLibraries(IServiceCollection services, bool useRedis)
    {
        if (useRedis)
        {
            // The libraries never dispose it: RedisConnection does, with the host.
            services.AddSingleton(static provider => provider.GetRequiredService<RedisConnection>().Multiplexer
                ?? throw new InvalidOperationException("Okome:Redis is not set."));
        }

        var cache = services.AddOkomeCaching();
        if (useRedis)
        {
            cache.UseRedis();
        }

        // Configured from the settings in force: the freshness windows follow a reload (AppliedSettings' change token); the
        // rest (timeouts, L1) is read once, when the cache is built.
        services.AddOptions<ResponseCacheOptions>().Configure<AppliedSettings>(static (cacheOptions, applied) =>
        {
            var options = applied.Current;
            var freshFor = TimeSpan.FromSeconds(options.Cache.FreshSeconds);
            var stale = TimeSpan.FromSeconds(options.Cache.StaleSeconds);
            cacheOptions.Freshness = new FreshnessPolicy
            {
                FreshFor = freshFor,
                MaxFreshFor = freshFor > TimeSpan.FromDays(1) ? freshFor : TimeSpan.FromDays(1),
                StaleWhileRevalidate = stale,
                StaleIfError = stale,
                CacheNonDeterministic = options.Cache.CacheNonDeterministic,
                UpstreamCacheControl = options.Cache.UpstreamCacheControl,
            };
            if (options.StoreTimeoutMs is { } timeout)
            {
                cacheOptions.StoreTimeout = TimeSpan.FromMilliseconds(timeout);
            }

            // The in-process copy (L1) in front of Redis: repeated prompts keep hitting while Redis is away.
            cacheOptions.LocalCacheDuration = TimeSpan.FromSeconds(options.Cache.LocalSeconds);
        });
        AddReloadSource<ResponseCacheOptions>(services);

        // The tiers' policies at start-up (ConfigurationReload replaces them on a good configuration reload); the executor charges
        // the one a request names (PlannedRequest.BudgetPolicy, from BudgetTiers.PolicyOf).
        var budget = services.AddOkomeBudget();
        if (useRedis)
        {
            budget.UseRedis();
        }

        services.AddOptions<BudgetOptions>().Configure<IOptions<SampleOptions>, BudgetTiers>(static (budgetOptions, sample, tiers) =>
        {
            var settings = sample.Value.Budget;
            budgetOptions.FailureMode = settings.FailureMode;
            budgetOptions.LocalFallbackShare = settings.LocalFallbackShare;
            if (sample.Value.StoreTimeoutMs is { } timeout)
            {
                budgetOptions.StoreTimeout = TimeSpan.FromMilliseconds(timeout);
            }

            foreach (var policy in tiers.Policies)
            {
                budgetOptions.Policies.Add(policy);
            }
        });

        var upstreamHealth = services.AddOkomeUpstreamHealth(static _ => { });
        if (useRedis)
        {
            upstreamHealth.UseRedis();
        }

        services.AddOptions<UpstreamHealthOptions>().Configure<IOptions<SampleOptions>>(static (health, sample) =>
        {
            var options = sample.Value;
            health.Rise = options.Health.Rise;
            health.Fall = options.Health.Fall;
            health.ProbeInterval = TimeSpan.FromSeconds(options.Health.IntervalSeconds);
            health.ProbeTimeout = TimeSpan.FromSeconds(Math.Min(options.Health.TimeoutSeconds, options.Health.IntervalSeconds));
        });

        services.AddOkomePlanner();
        // No executor policy (PlannerServiceOptions.BudgetPolicyName): every request names its tier's, default tier included
        // (BudgetTiers.PolicyOf), so a reloaded policy is found by name (ConfigurationReload).
        // Configured from the settings in force: the canary split follows a reload (AppliedSettings' change token); the rest
        // is read once, when the executor is built. Whether there is a canary at all is the start-up's answer: the pools
        // are built once, so a canary URL added by a reload (which needs a restart) must not send requests to an empty pool.
        services.AddOptions<PlannerServiceOptions>().Configure<AppliedSettings, IOptions<SampleOptions>>(static (planner, applied, startUp) =>
        {
            var options = applied.Current;
            planner.GpuCapacity = options.Gpu.MaxConcurrent;
            var executor = planner.Executor;
            executor.Canary = startUp.Value.Upstream.CanaryUrls().Count == 0 ? null : Canary(options.Canary);

            // The host pools and nginx-style next-upstream retry (Okome:Upstream:BaseUrls, Tries, ConnectTimeoutSeconds, …).
            executor.StableHosts = UpstreamRouter.LabelsOf(options.Upstream.StableUrls());
            executor.CanaryHosts = UpstreamRouter.LabelsOf(options.Upstream.CanaryUrls());
            executor.Tries = options.Upstream.Tries;
            executor.ConnectTimeout = TimeSpan.FromSeconds(options.Upstream.ConnectTimeoutSeconds);
            executor.NextUpstreamTimeout = TimeSpan.FromSeconds(options.Upstream.NextUpstreamTimeoutSeconds);

            // The budget is settled with the upstream's usage.total_tokens (forced on by stream_options.include_usage).
            executor.CostMeter = static () => new OpenAIUsageMeter();
        });
        AddReloadSource<PlannerServiceOptions>(services);
    }

    /// <summary>
    /// The canary split by API key: the tenant is the key's partition (<c>key-</c> and its hash, or <c>anonymous</c>), so the
    /// lists hold hashes as <c>okome key-hash</c> prints them; lower-cased as the partition is, since the lists compare ordinally.
    /// </summary>
    private static CanaryOptions Canary(SampleOptions.CanarySettings settings)
    {
        var canary = new CanaryOptions { Percent = settings.Percent, SplitBy = CanarySplitBy.Tenant };
        foreach (var entry in settings.AllowList)
        {
            canary.AllowList.Add(entry.ToLowerInvariant());
        }

        foreach (var entry in settings.DenyList)
        {
            canary.DenyList.Add(entry.ToLowerInvariant());
        }

        return canary;
    }

    /// <summary>Tells the options monitor of <typeparamref name="TOptions"/> when a reload was applied, so the package takes the new options.</summary>
    private static void AddReloadSource<TOptions>(IServiceCollection services)
        => services.AddSingleton<IOptionsChangeTokenSource<TOptions>, AppliedSettingsChangeTokenSource<TOptions>>();

    private static SampleOptions Options(IServiceProvider provider) => provider.GetRequiredService<IOptions<SampleOptions>>().Value;

    private static UpstreamRouter CreateUpstreams(IServiceProvider provider)
    {
        var options = Options(provider);
        var time = provider.GetRequiredService<TimeProvider>();
        var clients = provider.GetRequiredService<IHttpClientFactory>();
        var timeout = TimeSpan.FromSeconds(options.Upstream.TimeoutSeconds);
        IChatUpstream[] stable = options.UsesSimulator
            ? [new SimulatedUpstream(options.Simulator, time)]
            : [.. options.Upstream.StableUrls().Select(url => new HttpChatUpstream(clients, url, options.Upstream.ApiKey, timeout, time))];
        IChatUpstream[] canary = [.. options.Upstream.CanaryUrls().Select(url => new HttpChatUpstream(clients, url, options.Upstream.ApiKey, timeout, time))];
        return new UpstreamRouter(stable, canary);
    }
}
