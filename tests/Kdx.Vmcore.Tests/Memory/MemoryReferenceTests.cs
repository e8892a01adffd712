using System.Text;
using Kdx.Commands.Infrastructure;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Memory;

/// <summary>
/// rd, vtop and ptov against crash 8.0.2's references, on every dump format of every CI crash where crash opened
/// the dump: every "rd", "vtop" and "ptov" command of crash-ref.json (rd -64 at each address of addresses.json,
/// the rd variants, vtop at the addresses marked for it, ptov of each physical address) must print the same text
/// in Kdx, compared by <see cref="CrashText"/>'s rules.
/// On 6.12, crash 8.0.2 opens only the unfiltered and -d 23 dumps, and only with --kaslr auto --no_modules
/// (index.json's crash_mode); its rd/vtop/ptov answers there are compared like the 6.1 ones. The -d 31 dumps of
/// 6.12, which crash cannot open, are covered by <see cref="CrossFormatTests"/>.
/// The filtered ELF (elf-d31) is opened with ZeroExcluded, as crash reads it (zeros in the filtered gaps);
/// <see cref="CrossFormatTests"/> checks that without it Kdx reports those pages as excluded.
/// </summary>
public sealed class MemoryReferenceTests
{
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Rd_matches_crash_on_every_format(string runId) => Compare(runId, "rd", SymbolSource.Vmlinux, minimumPerFormat: 60);

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Vtop_matches_crash_on_every_format(string runId) => Compare(runId, "vtop", SymbolSource.Vmlinux, minimumPerFormat: 20);

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Ptov_matches_crash_on_every_format(string runId) => Compare(runId, "ptov", SymbolSource.Vmlinux, minimumPerFormat: 5);

    /// <summary>
    /// With the dump alone (symbols from VMCOREINFO only), every command that names no symbol and asks for no
    /// symbols (-s) prints what crash printed with its vmlinux.
    /// </summary>
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Without_a_vmlinux_the_non_symbolic_commands_match_crash(string runId)
    {
        var run = CiRuns.Get(runId);
        var failures = new List<string>();
        int compared = 0;
        foreach (var format in run.Formats.Values)
        {
            compared += CompareFormat(run, format, ["rd", "vtop", "ptov"], SymbolSource.DumpOnly, failures, IsNonSymbolic);
        }

        compared.ShouldBeGreaterThan(100);
        failures.ShouldBeEmpty(Report(failures));
    }

    /// <summary>Whether a reference command names no symbol and asks for none (the dump-only session can run it).</summary>
    internal static bool IsNonSymbolic(string command)
    {
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var arguments = words.Skip(1).Where(w => !w.StartsWith('-')).ToList();
        return !words.Contains("-s") && arguments.Count > 0 && NumberArgument.IsHexadecimal(arguments[0]);
    }

    internal static string Report(List<string> failures) =>
        $"{failures.Count} outputs differ:\n" + string.Join("\n", failures.Take(8));

    private static void Compare(string runId, string command, SymbolSource symbols, int minimumPerFormat)
    {
        var run = CiRuns.Get(runId);
        var failures = new List<string>();
        int formats = 0;
        foreach (var format in run.Formats.Values)
        {
            int n = CompareFormat(run, format, [command], symbols, failures, _ => true);
            if (n > 0)
            {
                n.ShouldBeGreaterThanOrEqualTo(minimumPerFormat, $"{run} {format}: too few {command} references");
                formats++;
            }
        }

        // crash opened every 6.1 dump; on 6.12 only the unfiltered ones, the -d 23 one and the QEMU ones.
        formats.ShouldBeGreaterThanOrEqualTo(run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) ? 11 : 6, $"{run}: formats compared");
        failures.ShouldBeEmpty(Report(failures));
    }

    private static int CompareFormat(TestBedRun run, TestBedFormat format, string[] commands, SymbolSource symbols,
        List<string> failures, Func<string, bool> include)
    {
        var reference = format.LoadCrashReference();
        if (reference is null || !reference.Opens)
        {
            return 0;
        }

        using var kdx = KdxSession.Open(run, format.Name, symbols, zeroExcluded: format.Name == "elf-d31");
        int compared = 0;
        foreach (var c in reference.Commands)
        {
            if (c.Status != "ok" || c.Output is null || !commands.Contains(c.Cmd.Split(' ')[0]) || !include(c.Cmd))
            {
                continue;
            }

            string expected = CrashText.Normalize(c.Cmd, c.Output);
            string actual = CrashText.Normalize(c.Cmd, kdx.Run(c.Cmd));
            if (expected != actual)
            {
                failures.Add(Difference($"{run} {format} ({symbols}): {c.Cmd}", expected, actual));
            }

            compared++;
        }

        return compared;
    }

    internal static string Difference(string title, string expected, string actual)
    {
        var s = new StringBuilder();
        s.Append(title).Append('\n');
        s.Append("--- crash\n").Append(expected).Append('\n');
        s.Append("--- kdx\n").Append(actual).Append('\n');
        return s.ToString();
    }
}
