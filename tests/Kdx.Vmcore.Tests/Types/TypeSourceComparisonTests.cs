using System.Text.RegularExpressions;
using Kdx.Core.Debug.Dwarf;
using Kdx.Core.Elf;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Types;

/// <summary>
/// The type commands with the dump's BTF alone (no vmlinux) against the same commands with the vmlinux's
/// DWARF, and the test module's types from its own DWARF against crash after "mod -s vmlab".
/// </summary>
public sealed partial class TypeSourceComparisonTests
{
    private const string Run61 = "6.1.0-56-cloud-amd64/sysrq";

    private static string DataFile(string folder, string name) => Path.Combine(AppContext.BaseDirectory, folder, "Data", name);

    [TestBedFact]
    public void Struct_o_from_btf_alone_is_the_dwarf_layout_member_by_member()
    {
        var run = CiRuns.Get(Run61);
        using var dwarf = KdxSession.Open(run, "elf");
        using var btf = KdxSession.Open(run, "elf", SymbolSource.DumpOnly);
        btf.Program.Vmlinux.ShouldBeNull();
        var names = Regex.Matches(File.ReadAllText(DataFile("Debug", "crash-struct-o-6.1.0-56-cloud-amd64.txt")), @"(?m)^struct (\w+) \{$").Select(m => m.Groups[1].Value).Distinct().ToList();
        names.Count.ShouldBeGreaterThanOrEqualTo(50);
        var problems = new List<string>();
        foreach (var name in names)
        {
            string expected = dwarf.Run($"struct {name} -o");
            string actual = btf.Run($"struct {name} -o");

            // BTF cannot tell a flexible array (T x[]) from a zero-length one (T x[0]): both have 0 elements.
            if (actual != expected && actual != expected.Replace("[]", "[0]", StringComparison.Ordinal))
            {
                problems.Add($"struct {name}: {TypeCommandReferenceTests.FirstDifference(expected, actual)}");
            }
        }

        problems.ShouldBeEmpty();
    }

    [TestBedFact]
    public void Contents_from_btf_alone_are_the_dwarf_contents_but_for_symbol_names()
    {
        // kallsyms has no symbol sizes, so an address past a symbol's end is still named after it; the values,
        // members and layout are the same.
        var run = CiRuns.Get(Run61);
        using var dwarf = KdxSession.Open(run, "elf");
        using var btf = KdxSession.Open(run, "elf", SymbolSource.DumpOnly);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(run.AddressesPath));
        string panic = doc.RootElement.GetProperty("meta").GetProperty("panic_task").GetString()!;
        string[] commands =
        [
            $"struct task_struct {panic}", "struct rq runqueues:a", $"struct task_struct.pid,comm,se.load,thread {panic}",
            "p runqueues:1", "p -x current_task:a", $"struct page {run.LoadAddresses().VmemmapBase:x} 4",
        ];
        foreach (var command in commands)
        {
            string expected = dwarf.Run(command);
            expected.ShouldNotContain("invalid");
            Unnamed(btf.Run(command)).ShouldBe(Unnamed(expected), command);
        }
    }

    [TestBedFact]
    public void Without_debuginfo_p_names_the_missing_type_information()
    {
        using var btf = KdxSession.Open(CiRuns.Get(Run61), "elf", SymbolSource.DumpOnly);
        btf.Run("p jiffies").ShouldBe("p: no type information for symbol jiffies: BTF has the kernel's types but no variables except per-CPU ones (give a vmlinux with debuginfo)\n");
        btf.Run("whatis init_task").ShouldStartWith("whatis: no type information for symbol init_task: BTF");
        btf.Run("jiffies").ShouldStartWith("p: no type information for symbol jiffies");
        btf.Run("whatis schedule").ShouldBe("void schedule(void);\n");
        btf.Run("p runqueues").ShouldStartWith("PER-CPU DATA TYPE:\n  struct rq runqueues;\n");
    }

    [TestBedFact]
    public void The_test_modules_types_from_its_dwarf_print_as_crash_prints_them_after_mod_s()
    {
        var run = CiRuns.Get(Run61);
        using var kdx = KdxSession.Open(run, "elf");
        using var ko = ElfFile.Open(run.VmlabKo);
        using var dwarf = DwarfTypeSource.OpenModule(ko);
        kdx.Program.Types.Add(dwarf);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(run.AddressesPath));
        string first = doc.RootElement.GetProperty("console").GetProperty("first_item").GetString()!;
        var blocks = TypeCommandReferenceTests.Blocks(File.ReadAllText(DataFile("Types", "crash-vmlab-types-6.1.0-56-cloud-amd64.txt")));
        blocks.Count.ShouldBeGreaterThanOrEqualTo(5);
        foreach (var (command, expected) in blocks)
        {
            kdx.Run(command.Replace("FIRST_ITEM", first, StringComparison.Ordinal)).ShouldBe(expected, command);
        }
    }

    private static string Unnamed(string text) => SymbolName().Replace(text, string.Empty);

    [GeneratedRegex(@" <[^>\n]+>")]
    private static partial Regex SymbolName();
}
