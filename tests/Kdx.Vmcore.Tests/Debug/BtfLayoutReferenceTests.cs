using Kdx.Core.Model;
using Kdx.Core.Types;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Debug;

/// <summary>
/// Struct layouts from the kernel's BTF read out of the dump (no vmlinux) against the DWARF layouts crash and
/// gdb print: member names, offsets, bit fields and sizes, and the member declarations. The references were
/// made by hand (see the headers of the files in Debug/Data) because the test bed's crash sessions do not
/// run <c>struct -o</c>: crash 8.0.2 for 6.1, gdb 13 <c>ptype /o</c> for 6.12 (crash's gdb faults there).
/// </summary>
public sealed class BtfLayoutReferenceTests
{
    /// <summary>
    /// Where BTF cannot say what DWARF says: a flexible array member (<c>T x[]</c>) and a zero-length array
    /// (<c>T x[0]</c>) are both an array of 0 elements in BTF, and Kdx spells it [0]. Every other difference fails.
    /// </summary>
    private static bool KnownDifference(string btf, string dwarf) => btf.Replace("[0]", "[]", StringComparison.Ordinal) == dwarf;

    private static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "Debug", "Data", name);

    [TestBedFact]
    public void Btf_in_the_6_1_dump_lays_out_structs_as_crash_does()
    {
        var run = CiRuns.Get("6.1.0-56-cloud-amd64/sysrq");
        Path.GetFileName(run.Vmlinux).ShouldBe("vmlinux-6.1.0-56-cloud-amd64", "Debug/Data/crash-struct-o-6.1.0-56-cloud-amd64.txt was made for this kernel: make it again");
        var reference = StructLayouts.FromCrash(File.ReadAllText(DataFile("crash-struct-o-6.1.0-56-cloud-amd64.txt")));
        Compare(run, reference).ShouldBeEmpty();
    }

    [TestBedFact]
    public void Btf_in_the_6_12_dump_lays_out_structs_as_gdb_does()
    {
        var run = CiRuns.Get("6.12.117+deb12-cloud-amd64/sysrq");
        Path.GetFileName(run.Vmlinux).ShouldBe("vmlinux-6.12.117+deb12-cloud-amd64", "Debug/Data/gdb-ptype-o-6.12.117+deb12-cloud-amd64.txt was made for this kernel: make it again");
        var reference = StructLayouts.FromGdb(File.ReadAllText(DataFile("gdb-ptype-o-6.12.117+deb12-cloud-amd64.txt")));
        Compare(run, reference).ShouldBeEmpty();
    }

    private static List<string> Compare(TestBedRun run, Dictionary<string, StructLayout> reference)
    {
        reference.Count.ShouldBeGreaterThanOrEqualTo(30);
        using var program = KernelProgram.Open([run.Formats["elf"].Files.Single()]);
        program.SymbolSource.ShouldBe("kallsyms");
        var problems = new List<string>();
        int members = 0;
        foreach (var (name, expected) in reference)
        {
            var type = program.Types.FindType(name, TypeKind.Struct);
            if (type is not { IsComplete: true })
            {
                problems.Add($"struct {name}: not in the dump's BTF");
                continue;
            }

            var actual = StructLayouts.FromType(type);
            if (actual.Size != expected.Size)
            {
                problems.Add($"struct {name}: SIZE {actual.Size}, expected {expected.Size}");
            }

            if (actual.Members.Count != expected.Members.Count)
            {
                problems.Add($"struct {name}: {actual.Members.Count} members, expected {expected.Members.Count}");
            }

            foreach (var (a, e) in actual.Members.Zip(expected.Members))
            {
                members++;
                string where = $"struct {name}.{e.Name}";
                if ((a.Name, a.Offset, a.Bits) != (e.Name, e.Offset, e.Bits))
                {
                    problems.Add($"{where}: [{a.Offset}] {a.Name}:{a.Bits}, expected [{e.Offset}] {e.Name}:{e.Bits}");
                }

                if (e.Size is { } size && a.Size != size)
                {
                    problems.Add($"{where}: size {a.Size}, expected {size}");
                }

                if (a.Declaration != e.Declaration && !KnownDifference(a.Declaration, e.Declaration))
                {
                    problems.Add($"{where}: \"{a.Declaration}\", expected \"{e.Declaration}\"");
                }
            }
        }

        members.ShouldBeGreaterThan(1000);
        return problems;
    }
}
