using BenchmarkDotNet.Running;
using Okome.Benchmarks.Modes;

namespace Okome.Benchmarks;

/// <summary>
/// Entry point. BenchmarkDotNet scenarios run through <see cref="BenchmarkSwitcher"/>
/// (<c>-- --filter '*Hit*'</c>); multi-process modes are named by their first argument
/// (<c>-- budget-exactness --processes 4 --callers 250 --permits 100</c>,
/// <c>-- stampede --processes 4 --callers 50 --factory-ms 50</c>, <c>-- service-faults --seconds 10</c>, <c>-- hit-path --seconds 5</c>).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // Command-line modes: add a case per mode (its parent command and, if it spawns copies of this executable, its worker command).
        switch (args.Length > 0 ? args[0] : null)
        {
            case BudgetExactnessMode.Command:
                return await BudgetExactnessMode.RunAsync(args[1..]);
            case BudgetExactnessWorker.Command:
                return await BudgetExactnessWorker.RunAsync(args[1..]);
            case BudgetCostMode.Command:
                return await BudgetCostMode.RunAsync(args[1..]);

            case StampedeMode.Command:
                return await StampedeMode.RunAsync(args[1..]);

            case BudgetFailoverMode.Command:
                return await BudgetFailoverMode.RunAsync(args[1..]);
            case ServiceFaultsMode.Command:
                return await ServiceFaultsMode.RunAsync(args[1..]);
            case EntrySizeMode.Command:
                return await EntrySizeMode.RunAsync(args[1..]);
            case GatewayOverheadMode.Command:
                return await GatewayOverheadMode.RunAsync(args[1..]);
            case HitPathMode.Command:
                return await HitPathMode.RunAsync(args[1..]);
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }
}
