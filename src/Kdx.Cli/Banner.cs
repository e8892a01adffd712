using Kdx.Core.Model;

namespace Kdx.Cli;

/// <summary>The start-up banner: what was opened.</summary>
internal static class Banner
{
    public static void Write(TextWriter output, KernelProgram program)
    {
        var dump = program.Dump;
        output.WriteLine($"kdx {KdxMain.Version}");
        output.WriteLine();
        output.WriteLine($"      KERNEL: {program.SymbolSource}");
        output.WriteLine($"    DUMPFILE: {string.Join("  ", dump.Files)}");
        output.WriteLine($"      FORMAT: {dump.FormatName}");
        if (dump.VmcoreInfo?.OsRelease is { } release)
        {
            output.WriteLine($"     RELEASE: {release}");
        }

        foreach (var w in program.Warnings)
        {
            output.WriteLine($"WARNING: {w}");
        }

        output.WriteLine();
    }
}
