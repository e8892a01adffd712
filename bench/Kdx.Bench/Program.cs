using BenchmarkDotNet.Running;

namespace Kdx.Bench;

/// <summary>
/// Kdx benchmarks. <c>pick-pages</c> feeds bench/compare.py (Kdx against crash on the same dump);
/// anything else runs the BenchmarkDotNet micro-benchmarks of the library.
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "pick-pages")
        {
            return PickPages.Run(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
