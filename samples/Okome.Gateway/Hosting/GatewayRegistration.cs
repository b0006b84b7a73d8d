using System.Diagnostics.Metrics;
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
using Okome.Gateway.Caching;
using Okome.Gateway.Edge;
using Okome.Gateway.Proxy;
using Okome.Planner.Access;
using Okome.Planner.DependencyInjection;
using Okome.Planner.Diagnostics;
using Okome.Planner.Sample.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;

namespace Okome.Gateway.Hosting;

/// <summary>
/// Registers the gateway: validated options, YARP (routes and the one cluster of service instances from
/// <c>Gateway:Services</c>, transforms, the connect timeout), one Redis connection shared with the services (or none), and
/// the Okome pieces through the packages' own <c>AddOkome…</c> methods: the budget (the service's tiers under edge policy
/// names), the cache (cached routes) and the shared health state (maintenance). Only the store choice is read while
/// registering.
/// </summary>
internal static class GatewayRegistration
{
    private static readonly ExplicitBucketHistogramConfiguration SecondsBuckets = new()
    {
        Boundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    };

    public static IServiceCollection AddOkomeGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());
        services.AddOptions<SharedOptions>().Bind(configuration.GetSection(SharedOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SharedOptions>, SharedOptionsValidator>());

        // YARP: the configuration is read when first resolved, from the validated options.
        var gateway = configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        services.AddReverseProxy()
            .LoadFromMemory(ServicesCluster.Routes(), ServicesCluster.Clusters(gateway))
            .AddTransforms(static builder => GatewayTransforms.Apply(builder, builder.Services.GetRequiredService<TrustedKeys>()));
        services.AddSingleton<IForwarderHttpClientFactory, GatewayHttpClientFactory>();

        // Passive health close to nginx's max_fails=1: failed forwards (refused, reset, timed out) above 1 % of an instance's
        // forwards in 10 s (a single one under light traffic) take it out for Gateway:Health:PassiveReactivationSeconds.
        services.Configure<TransportFailureRateHealthPolicyOptions>(static passive =>
        {
            passive.MinimalTotalCountThreshold = 1;
            passive.DefaultFailureRateLimit = 0.01;
            passive.DetectionWindowSize = TimeSpan.FromSeconds(10);
        });

        services.AddHttpClient(DestinationFetcher.ClientName, static client => client.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<TrustedKeys>();
        services.AddSingleton<CachedRoutes>();
        services.AddSingleton<DestinationFetcher>();
        services.AddSingleton(static provider => new RedisConnection(provider.GetRequiredService<IOptions<SharedOptions>>().Value.Redis));
        services.AddSingleton(static _ => new CacheKeyBuilder(new CacheKeyPolicy()));
        AddOkomeLibraries(services, !string.IsNullOrWhiteSpace(configuration.GetSection(SharedOptions.Section)[nameof(SharedOptions.Redis)]));
        services.AddHostedService<MaintenanceRefresh>();

        services.AddSingleton(static provider => new AccessLog(provider.GetRequiredService<ILoggerFactory>(), provider.GetService<IMeterFactory>()));
        ConsoleFormats.Add(services);
        AddTelemetry(services, gateway.Telemetry.ServiceName);
        return services;
    }

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

        services.AddOptions<ResponseCacheOptions>().Configure<IOptions<GatewayOptions>, IOptions<SharedOptions>>(static (cacheOptions, gateway, shared) =>
        {
            var settings = gateway.Value.Cache;
            var freshFor = TimeSpan.FromSeconds(settings.FreshSeconds);
            cacheOptions.Namespaces[CachedRouteMiddleware.Namespace] = new FreshnessPolicy
            {
                FreshFor = freshFor,
                MaxFreshFor = freshFor > TimeSpan.FromDays(1) ? freshFor : TimeSpan.FromDays(1),
                StaleWhileRevalidate = TimeSpan.Zero,
                StaleIfError = TimeSpan.FromSeconds(settings.StaleIfErrorSeconds),
                UpstreamCacheControl = UpstreamCacheControl.Ignore,
            };
            if (shared.Value.StoreTimeoutMs is { } timeout)
            {
                cacheOptions.StoreTimeout = TimeSpan.FromMilliseconds(timeout);
            }
        });

        var budget = services.AddOkomeBudget();
        if (useRedis)
        {
            budget.UseRedis();
        }

        // The service's tiers, built from the validated Okome:Budget (SharedOptionsValidator); the edge's policies are theirs
        // under edge names (EdgeTiers).
        services.AddSingleton(static provider => new BudgetTiers(provider.GetRequiredService<IOptions<SharedOptions>>().Value.Budget));
        services.AddSingleton<EdgeTiers>();
        services.AddOptions<BudgetOptions>().Configure<IOptions<SharedOptions>, BudgetTiers>(static (budgetOptions, shared, tiers) =>
        {
            var settings = shared.Value.Budget;
            budgetOptions.FailureMode = settings.FailureMode;
            budgetOptions.LocalFallbackShare = settings.LocalFallbackShare;
            if (shared.Value.StoreTimeoutMs is { } timeout)
            {
                budgetOptions.StoreTimeout = TimeSpan.FromMilliseconds(timeout);
            }

            foreach (var policy in EdgeTiers.PoliciesOf(tiers))
            {
                budgetOptions.Policies.Add(policy);
            }
        });

        // The shared health state, read for the maintenance switch only (same key prefix as the services; no hosts of its own).
        var health = services.AddOkomeUpstreamHealth(static _ => { });
        if (useRedis)
        {
            health.UseRedis();
        }
    }

    /// <summary>The Okome meters (the access log's <c>okome.planner.responses</c> among them), ASP.NET Core's and the runtime's, at <c>/metrics</c>.</summary>
    private static void AddTelemetry(IServiceCollection services, string serviceName)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(static metrics => metrics
                .AddMeter(CachingDiagnostics.MeterName, BudgetDiagnostics.MeterName, PlannerDiagnostics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddView(static instrument => instrument.Unit == "s" ? SecondsBuckets : null)
                .AddPrometheusExporter());
    }
}
