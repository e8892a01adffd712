using System.Globalization;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Machine;

/// <summary>
/// <c>mach</c> on real dumps. On 6.1 crash 8.0.2 answers mach, mach -m, mach -c and mach -c -x and Kdx must print
/// the same text on every format of the state family. On 6.12 crash's gdb dies after three lines of mach (and
/// it counts one CPU there) and on mach -c; its mach -m is compared where it answered. The address-space bases
/// and the CPU count are checked on every run against drgn's reading of page_offset_base, vmalloc_base,
/// vmemmap_base and nr_cpu_ids; and every format of one crash gives the same mach answer (the dump format
/// cannot change the machine).
/// </summary>
public sealed class MachReferenceTests
{
    private static readonly string[] Commands = ["mach", "mach -m", "mach -c", "mach -c -x"];

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Mach_commands_match_crash_where_crash_answered(string runId)
    {
        var run = CiRuns.Get(runId);
        var (compared, failures) = StateReference.CompareWithCrash(run, Commands);
        compared.ShouldBeGreaterThanOrEqualTo((StateReference.IsSix1(run) ? Commands.Length : 1) * StateReference.Formats(run));
        failures.ShouldBeEmpty(string.Join("\n", failures));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Bases_and_cpus_are_the_kernel_s_own_and_every_format_agrees(string runId)
    {
        var run = CiRuns.Get(runId);
        var globals = run.LoadTruth().ShouldNotBeNull().Globals;
        string Hex(string expr) => globals.Single(g => g.Expression == expr).Integer.ShouldNotBeNull().ToString("x", CultureInfo.InvariantCulture);
        string? first = null;
        foreach (var format in ReferenceFamilies.StateFormats)
        {
            using var kdx = KdxSession.Open(run, format);
            string mach = kdx.Run("mach");
            var lines = StateReference.Lines(mach);
            lines.ShouldContain($"   KERNEL VIRTUAL BASE: {Hex("p page_offset_base")}");
            lines.ShouldContain($"   KERNEL VMALLOC BASE: {Hex("p vmalloc_base")}");
            lines.ShouldContain($"   KERNEL VMEMMAP BASE: {Hex("p vmemmap_base")}");
            lines.ShouldContain($"                  CPUS: {globals.Single(g => g.Expression == "p nr_cpu_ids").Integer}");
            lines.ShouldContain("        NMI STACK SIZE: 8192");
            first ??= mach;
            mach.ShouldBe(first, $"{run} {format}");
        }
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Help_m_names_the_features_of_the_kernel_and_its_layout(string runId)
    {
        // crash 8.0.2's help -m is its own internals; the test bed has no reference for it. The flags are
        // checked against what the run is: 5-level paging only on the la57 runs, and Debian's kernels are
        // built with ORC, KASLR of the memory layout and PTI.
        var run = CiRuns.Get(runId);
        var globals = run.LoadTruth().ShouldNotBeNull().Globals;
        using var kdx = KdxSession.Open(run, "elf");
        var lines = StateReference.Lines(kdx.Run("help -m"));
        var flags = lines[0].Split('(', ')')[1].Split('|');
        flags.Contains("VM_5LEVEL").ShouldBe(run.La57);
        flags.ShouldContain("ORC");
        flags.ShouldContain("RANDOMIZED");
        flags.ShouldContain("KPTI");
        lines.ShouldContain($"      paging levels: {(run.La57 ? 5 : 4)}");
        string offset = globals.Single(g => g.Expression == "p page_offset_base").Integer.ShouldNotBeNull().ToString("x", CultureInfo.InvariantCulture);
        lines.ShouldContain($"   page_offset_base: {offset}");
        lines.Count(l => l.Contains("irq stack[", StringComparison.Ordinal)).ShouldBe(kdx.Program.CpuCount);
    }
}
