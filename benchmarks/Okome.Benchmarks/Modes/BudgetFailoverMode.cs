using System.Globalization;
using Okome.Budget;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// <c>budget-failover</c>: a budget on a Sentinel-managed primary and replica (real processes started for the run), one
/// service instance with <c>LocalFallback</c>, <c>--callers</c> clients on one API key of a rate limit (<c>--limit</c> per
/// minute, <c>--burst</c>). After <c>--before-seconds</c> under load the primary is killed (SIGKILL); the run goes on until
/// <c>--after-seconds</c> after the sentinels promoted the replica. Prints the grants against what one primary allows in
/// the same span (burst + refill), with the fallback's continuation from Redis's last answer off ("before") and on ("after").
/// Exit code: 0 when the run with the continuation stays within the allowance + 10 % of the limit and no decision threw,
/// 1 otherwise, 2 error, 64 bad arguments.
/// </summary>
internal static class BudgetFailoverMode
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Command = "budget-failover";

    private const string Usage =
        "usage: budget-failover [--callers 8] [--limit 300] [--burst 300] [--before-seconds 10] [--after-seconds 10] [--sentinels 1] [--share-percent 100] [--continuation both|on|off]";

    private static readonly string[] Options = ["callers", "limit", "burst", "before-seconds", "after-seconds", "sentinels", "share-percent", "continuation"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        Settings settings;
        string continuation;
        try
        {
            var options = ModeArguments.Parse(args, Options);
            settings = new Settings(
                options.GetInt32("callers", 8, 1),
                options.GetInt32("limit", 300, 1),
                options.GetInt32("burst", 300, 1),
                options.GetInt32("before-seconds", 10, 1),
                options.GetInt32("after-seconds", 10, 1),
                options.GetInt32("sentinels", 1, 1),
                Math.Min(options.GetInt32("share-percent", 100, 1), 100) / 100.0);
            continuation = options.GetString("continuation") ?? "both";
            if (continuation is not ("both" or "on" or "off"))
            {
                throw new ModeUsageException($"--continuation must be both, on or off; got '{continuation}'.");
            }
        }
        catch (ModeUsageException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            await Console.Error.WriteLineAsync(Usage);
            return 64;
        }

        try
        {
            Console.WriteLine(Invariant($"budget-failover: {settings.Callers} callers, one key, {settings.Limit}/min burst {settings.Burst}, LocalFallback share {settings.Share:0.##}, {settings.Sentinels} sentinel(s); primary killed after {settings.BeforeSeconds} s, run ends {settings.AfterSeconds} s after the failover"));
            var withinBound = true;
            if (continuation is "both" or "off")
            {
                await RunOnceAsync(settings, continues: false);
            }

            if (continuation is "both" or "on")
            {
                withinBound = await RunOnceAsync(settings, continues: true);
            }

            return withinBound ? 0 : 1;
        }
#pragma warning disable CA1031 // A mode reports any failure as exit code 2 with its message.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync("budget-failover: " + ex);
            return 2;
        }
    }

    private static async Task<bool> RunOnceAsync(Settings settings, bool continues)
    {
        await using var set = await RedisSentinelSet.StartAsync(settings.Sentinels);
        var options = ConfigurationOptions.Parse(set.ConnectionString);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 1000;
        options.AsyncTimeout = 1000;
        options.SyncTimeout = 1000;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        var budgets = BudgetService.CreateRedis(connection, new BudgetOptions
        {
            FailureMode = BudgetFailureMode.LocalFallback,
            LocalFallbackShare = settings.Share,
            LocalFallbackMemory = continues ? BudgetOptions.DefaultLocalFallbackMemory : 0,
            StoreTimeout = TimeSpan.FromMilliseconds(250),
            StoreRetryInterval = TimeSpan.FromMilliseconds(200),
        }, TimeProvider.System);
        var policy = new BudgetPolicy("failover", [BudgetLimit.Rate("rpm", settings.Limit, TimeSpan.FromMinutes(1), settings.Burst)]);
        var load = new FailoverLoad(budgets, policy, settings.Callers);

        var running = load.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(settings.BeforeSeconds));
        var killedAt = TimeProvider.System.GetTimestamp();
        var grantedAtKill = load.Granted;
        set.KillPrimary();
        await set.WaitForFailoverAsync(TimeSpan.FromSeconds(60));
        var promoted = TimeProvider.System.GetElapsedTime(killedAt);
        load.MarkFailedOver();
        await Task.Delay(TimeSpan.FromSeconds(settings.AfterSeconds));
        var (granted, exceptions, elapsed, sources, firstStoreAfter) = await load.StopAsync(running);

        var allowance = settings.Burst + (long)Math.Floor(elapsed.TotalSeconds * settings.Limit / 60);
        var bound = allowance + (settings.Limit / 10);
        var back = firstStoreAfter is { } at ? Invariant($"{TimeProvider.System.GetElapsedTime(killedAt, at).TotalSeconds:F1} s") : "never";
        Console.WriteLine(Invariant($"""
            continuation {(continues ? "on " : "off")}: granted {granted} in {elapsed.TotalSeconds:F1} s (at the kill: {grantedAtKill}); one primary allows {allowance}; over by {granted - allowance} ({100.0 * (granted - allowance) / settings.Limit:F1} % of the limit; bound +{settings.Limit / 10}: {(granted <= bound ? "within" : "EXCEEDED")})
              replica promoted {promoted.TotalSeconds:F1} s after the kill, first Redis answer after it at {back}; decisions: store {sources[0]}, denied-cache {sources[1]}, local-fallback {sources[2]}; exceptions {exceptions}
            """));
        return granted <= bound && exceptions == 0;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record Settings(int Callers, int Limit, int Burst, int BeforeSeconds, int AfterSeconds, int Sentinels, double Share);
}
