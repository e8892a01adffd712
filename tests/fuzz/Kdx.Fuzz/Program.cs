using SharpFuzz;

namespace Kdx.Fuzz;

/// <summary>
/// The AFL entry point: <c>Kdx.Fuzz TARGET</c> runs one target under SharpFuzz (after
/// <c>sharpfuzz Kdx.Core.dll</c> has instrumented the library); see tests/fuzz/run.sh.
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "--make-seeds")
        {
            Seeds.Write(args[1]);
            return 0;
        }

        if (args.Length != 1 || !FuzzTargets.Names.Contains(args[0]))
        {
            Console.Error.WriteLine($"usage: Kdx.Fuzz {string.Join('|', FuzzTargets.Names)}");
            return 2;
        }

        string name = args[0];
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            FuzzTargets.Run(name, ms.ToArray());
        });
        return 0;
    }
}
