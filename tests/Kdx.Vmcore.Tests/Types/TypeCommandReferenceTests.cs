using System.Text.RegularExpressions;
using Kdx.Vmcore.Tests.Debug;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Types;

/// <summary>
/// The type commands (struct, union, p, whatis, ptype, eval) against crash 8.0.2 on the 6.1 dump, byte for
/// byte: the references are crash's own outputs, made by Types/Data/make-crash-types-ref.sh (one crash session
/// over types-commands-KERNEL.txt) and Debug/Data/crash-struct-o-KERNEL.txt; and against gdb's ptype /o on 6.12,
/// layout by layout (crash cannot print 6.12's types).
/// </summary>
public sealed partial class TypeCommandReferenceTests
{
    private const string Kernel61 = "6.1.0-56-cloud-amd64";

    private static string DataFile(string folder, string name) => Path.Combine(AppContext.BaseDirectory, folder, "Data", name);

    /// <summary>"==== COMMAND" blocks of a reference file, in order.</summary>
    internal static List<(string Command, string Output)> Blocks(string text)
    {
        var blocks = new List<(string, string)>();
        string? command = null;
        var output = new System.Text.StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("==== ", StringComparison.Ordinal))
            {
                if (command is not null)
                {
                    blocks.Add((command, output.ToString()));
                }

                command = line[5..];
                output.Clear();
            }
            else if (command is not null)
            {
                output.Append(line).Append('\n');
            }
        }

        if (command is not null)
        {
            blocks.Add((command, output.ToString().TrimEnd('\n') + "\n"));
        }

        return blocks;
    }

    [TestBedFact]
    public void Commands_print_what_crash_prints_in_one_session()
    {
        var run = CiRuns.Get(Kernel61 + "/sysrq");
        Path.GetFileName(run.Vmlinux).ShouldBe("vmlinux-" + Kernel61, "Types/Data/crash-types-*.txt was made for this kernel: run make-crash-types-ref.sh");
        string panic = PanicTask(run);
        var blocks = Blocks(File.ReadAllText(DataFile("Types", $"crash-types-{Kernel61}.txt")));
        blocks.Count.ShouldBeGreaterThan(150);
        using var kdx = KdxSession.Open(run, "elf");
        var problems = new List<string>();
        foreach (var (command, expected) in blocks)
        {
            string actual = kdx.Run(command.Replace("PANIC_TASK", panic, StringComparison.Ordinal));
            if (actual != expected)
            {
                problems.Add($"{command}: {FirstDifference(expected, actual)}");
            }
        }

        problems.ShouldBeEmpty();
    }

    [TestBedFact]
    public void Struct_o_of_the_core_types_is_crashs_byte_for_byte()
    {
        var run = CiRuns.Get(Kernel61 + "/sysrq");
        var reference = StructOBlocks(File.ReadAllText(DataFile("Debug", $"crash-struct-o-{Kernel61}.txt")));
        reference.Count.ShouldBeGreaterThanOrEqualTo(50);
        using var kdx = KdxSession.Open(run, "elf");
        var problems = new List<string>();
        foreach (var (name, expected) in reference)
        {
            string actual = kdx.Run($"struct {name} -o");
            if (actual != expected)
            {
                problems.Add($"struct {name} -o: {FirstDifference(expected, actual)}");
            }

            // Without -o, the same lines without the offset column, as ptype prints them.
            kdx.Run($"struct {name}").ShouldBe(kdx.Run($"whatis struct {name}"));
        }

        problems.ShouldBeEmpty();
    }

    [TestBedFact]
    public void Type_commands_in_the_test_beds_crash_sessions_match()
    {
        // The test bed's crash-ref.json sessions (more type commands come with its "types" family): $N differs
        // with the commands run before, so history numbers are compared as "$N".
        var problems = new List<string>();
        int compared = 0;
        foreach (var id in CiRuns.Ids.Where(i => i.StartsWith(Kernel61, StringComparison.Ordinal)))
        {
            var run = CiRuns.Get(id);
            if (run.Formats["elf"].LoadCrashReference() is not { Opens: true } reference)
            {
                continue;
            }

            using var kdx = KdxSession.Open(run, "elf");
            foreach (var c in reference.Commands.Where(c => c.Status == "ok" && IsTypeCommand(c.Cmd)))
            {
                compared++;
                string expected = History().Replace(c.Output ?? string.Empty, "$N");
                string actual = History().Replace(kdx.Run(c.Cmd), "$N");
                if (expected.TrimEnd('\n') != actual.TrimEnd('\n'))
                {
                    problems.Add($"{id}: {c.Cmd}: {FirstDifference(expected, actual)}");
                }
            }
        }

        compared.ShouldBeGreaterThan(0);
        problems.ShouldBeEmpty();
    }

    [TestBedFact]
    public void Struct_o_on_6_12_lays_out_types_as_gdbs_ptype_o()
    {
        var run = CiRuns.Get("6.12.117+deb12-cloud-amd64/sysrq");
        var reference = StructLayouts.FromGdb(File.ReadAllText(DataFile("Debug", "gdb-ptype-o-6.12.117+deb12-cloud-amd64.txt")));
        reference.Count.ShouldBeGreaterThanOrEqualTo(30);
        using var kdx = KdxSession.Open(run, "elf");
        var problems = new List<string>();
        foreach (var (name, expected) in reference)
        {
            var actual = StructLayouts.FromCrash(kdx.Run($"struct {name} -o"));
            if (!actual.TryGetValue(name, out var layout))
            {
                problems.Add($"struct {name}: no layout in kdx's output");
                continue;
            }

            if (layout.Size != expected.Size || layout.Members.Count != expected.Members.Count)
            {
                problems.Add($"struct {name}: size {layout.Size} with {layout.Members.Count} members, expected {expected.Size} with {expected.Members.Count}");
                continue;
            }

            foreach (var (a, e) in layout.Members.Zip(expected.Members))
            {
                if ((a.Name, a.Offset, a.Bits, a.Declaration) != (e.Name, e.Offset, e.Bits, e.Declaration))
                {
                    problems.Add($"struct {name}.{e.Name}: [{a.Offset}] {a.Declaration}:{a.Bits}, expected [{e.Offset}] {e.Declaration}:{e.Bits}");
                }
            }
        }

        problems.ShouldBeEmpty();
    }

    // addresses.json meta.panic_task, the address PANIC_TASK stands for in the command list.
    private static string PanicTask(TestBedRun run)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(run.AddressesPath));
        return doc.RootElement.GetProperty("meta").GetProperty("panic_task").GetString()![2..];
    }

    private static bool IsTypeCommand(string cmd) => cmd.Split(' ')[0] is "p" or "struct" or "union" or "whatis" or "ptype" or "eval";

    // Debug/Data/crash-struct-o-*.txt: "struct NAME {" ... "SIZE: N" blocks (and crash's errors for types it lacks).
    private static List<(string Name, string Text)> StructOBlocks(string text)
    {
        var blocks = new List<(string, string)>();
        string? name = null;
        var sb = new System.Text.StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            var start = StructStart().Match(line);
            if (name is null && start.Success)
            {
                name = start.Groups[1].Value;
                sb.Clear();
            }

            if (name is not null)
            {
                sb.Append(line).Append('\n');
                if (line.StartsWith("SIZE: ", StringComparison.Ordinal))
                {
                    blocks.Add((name, sb.ToString()));
                    name = null;
                }
            }
        }

        return blocks;
    }

    internal static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string el = i < e.Length ? e[i] : "<end>";
            string al = i < a.Length ? a[i] : "<end>";
            if (el != al)
            {
                return $"line {i + 1}: expected \"{Clip(el)}\", got \"{Clip(al)}\"";
            }
        }

        return "same lines";
    }

    private static string Clip(string s) => s.Length > 160 ? s[..160] + "..." : s;

    [GeneratedRegex(@"^struct (\w+) \{$")]
    private static partial Regex StructStart();

    [GeneratedRegex(@"\$\d+")]
    private static partial Regex History();
}
