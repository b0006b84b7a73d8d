using BenchmarkDotNet.Running;

namespace Okome.Benchmarks;

/// <summary>
/// Entry point. BenchmarkDotNet scenarios run through <see cref="BenchmarkSwitcher"/>
/// (<c>-- --filter '*Hit*'</c>); multi-process modes are named by their first argument.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
