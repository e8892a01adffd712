using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Symbols;

/// <summary>
/// sym and mod against crash 8.0.2's stored answers (the "types" reference family): on 6.1 every command of
/// the reference session, run in the same order in one Kdx session (so "mod -s vmlab vmlab.ko" and "mod -S DIR"
/// change what later commands see, as they did in crash); on 6.12, where crash only opens the dump with
/// --no_modules, the commands that do not involve modules, and the module list against drgn's.
/// </summary>
public sealed partial class SymModReferenceTests
{
    [TestBedTheory]
    [InlineData("6.1.0-56-cloud-amd64/sysrq")]
    [InlineData("6.1.0-56-cloud-amd64/oops")]
    public void Every_sym_and_mod_command_prints_what_crash_printed_on_6_1(string id)
    {
        var run = TestBedIndex.Current!.Find(id)!;
        var reference = run.Reference(ReferenceFamilies.Types).ShouldNotBeNull("the test bed's 'types' crash reference family");
        var commands = reference.Commands.Where(c => c.Status == "ok" && c.Cmd.Split(' ')[0] is "sym" or "mod").ToList();
        commands.Count(c => c.Cmd.StartsWith("sym 0x", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(250);

        using var session = KdxSession.Open(run, "elf");
        var failures = new List<string>();
        foreach (var c in commands)
        {
            string got = RunInRunDirectory(session, run, c.Cmd);
            string expected = c.Output!;

            // Kept on purpose: once a module's symbols are in gdb, crash's gdb finds no line for the first
            // instruction of the kernel (head_64.S, an assembler unit); before that it does, and so does Kdx.
            if (StextLine().Match(got) is { Success: true } m && expected == m.Groups[1].Value + " \n")
            {
                continue;
            }

            if (c.Truncated)
            {
                int lines = got.Split('\n').Length - 1;
                string sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(got)));
                if (lines != c.OutputLines || sha != c.OutputSha256 || !got.StartsWith(expected, StringComparison.Ordinal))
                {
                    failures.Add($"{c.Cmd}: {lines} lines (crash {c.OutputLines}), sha256 {sha} (crash {c.OutputSha256})");
                }
            }
            else if (got != expected)
            {
                failures.Add($"{c.Cmd}:\n--- crash\n{expected}--- kdx\n{got}");
            }
        }

        failures.ShouldBeEmpty();
    }

    [TestBedFact]
    public void Kernel_symbols_on_6_12_are_crashs_and_the_module_list_is_drgns()
    {
        var run = TestBedIndex.Current!.Find("6.12.117+deb12-cloud-amd64/sysrq")!;
        var reference = run.Reference(ReferenceFamilies.Types).ShouldNotBeNull("the test bed's 'types' crash reference family");
        reference.Mode.ShouldBe("kaslr-auto-no-modules");
        using var session = KdxSession.Open(run, "elf");
        var modules = session.Program.Modules;
        int compared = 0;
        var failures = new List<string>();
        foreach (var c in reference.Starting("sym").Where(c => c.Status == "ok"))
        {
            // crash saw no modules: leave out what involves them (the reference marks most: CrashFailed).
            string[] words = c.Cmd.Split(' ');
            if (c.CrashFailed is not null || words[1] is "-M" or "-m" or "-p" or "-n" || modules.Any(m => m.Symbols.GetSymbols(words[^1]).Any())
                || (words[1].StartsWith("0x", StringComparison.Ordinal) && session.Program.ModuleAt(ulong.Parse(words[1][2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)) is not null))
            {
                continue;
            }

            string got = WithoutModules(session.Run(c.Cmd), words[1]);
            compared++;
            if (c.Truncated)
            {
                int count = got.Split('\n').Length - 1;
                string sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(got)));
                if (count != c.OutputLines || sha != c.OutputSha256)
                {
                    failures.Add($"{c.Cmd}: {count} lines (crash {c.OutputLines}), sha256 differs");
                }
            }
            else if (got != c.Output && !(words[1] == "-q" && c.Output == "(none found)\n" && got.Length == 0))
            {
                failures.Add($"{c.Cmd}:\n--- crash\n{c.Output}--- kdx\n{got}");
            }
        }

        failures.ShouldBeEmpty();
        compared.ShouldBeGreaterThanOrEqualTo(250);

        // mod: each module's struct module, text base and kept size (text, data, rodata, ro_after_init) as drgn read them.
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run.Dir, "ref", "truth", "drgn.json")));
        var drgn = doc.RootElement.GetProperty("modules").EnumerateArray().Select(m =>
        (
            Address: Hex(m.GetProperty("module").GetString()!),
            Name: m.GetProperty("name").GetString()!,
            Base: Hex(m.GetProperty("layout").EnumerateArray().First(l => l.GetProperty("kind").GetString() == "text").GetProperty("base").GetString()!),
            Size: m.GetProperty("layout").EnumerateArray().Where(l => !l.GetProperty("kind").GetString()!.StartsWith("init", StringComparison.Ordinal))
                .Aggregate(0UL, (sum, l) => sum + l.GetProperty("size").GetUInt64())))
            .OrderBy(m => m.Base).ToList();
        var lines = session.Run("mod").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int nameWidth = drgn.Max(m => m.Name.Length);
        lines[0].ShouldBe($"     MODULE       {"NAME".PadRight(nameWidth)}        BASE         SIZE  OBJECT FILE");
        lines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => (Hex(f[0]), f[1], Hex(f[2]), ulong.Parse(f[3], CultureInfo.InvariantCulture)))
            .ShouldBe(drgn.Select(m => (m.Address, m.Name, m.Base, m.Size)));
    }

    [TestBedTheory]
    [InlineData("6.1.0-56-cloud-amd64/sysrq")]
    [InlineData("6.12.117+deb12-cloud-amd64/sysrq")]
    public void Mod_s_loads_vmlab_ko_and_sym_then_gives_file_and_line(string id)
    {
        var run = TestBedIndex.Current!.Find(id)!;
        using var session = KdxSession.Open(run, "elf");
        session.Program.TryGetSymbol("vmlab_timer_fn", out var fn, out _).ShouldBeTrue();
        string address = fn.Address.ToString("x", CultureInfo.InvariantCulture);
        session.Run($"sym {address}").ShouldBe($"{address} (T) vmlab_timer_fn [vmlab] \n", "crash prints the space before the (missing) line");

        session.Run($"mod -s vmlab {run.VmlabKo}").ShouldEndWith($"  {run.VmlabKo} \n");
        var line = session.Run($"sym {address}");
        line.ShouldMatch($"^{address} \\(T\\) vmlab_timer_fn \\[vmlab\\] /\\S+/module/vmlab\\.c: \\d+\n$");

        // The function's first instruction is on the line of its opening brace, after its definition line.
        int number = int.Parse(line.TrimEnd().Split(' ')[^1], CultureInfo.InvariantCulture);
        var source = File.ReadAllLines(VmlabSource());
        source[number - 1].ShouldBe("{");
        source[number - 2].ShouldBe("void vmlab_timer_fn(struct timer_list *t)");

        // The module's DWARF joined the types; mod -d takes it out again.
        session.Program.Types.FindType("vmlab_item", Kdx.Core.Types.TypeKind.Struct).ShouldNotBeNull();
        session.Run("mod -d vmlab").ShouldBeEmpty();
        session.Program.Types.FindType("vmlab_item", Kdx.Core.Types.TypeKind.Struct).ShouldBeNull();
        session.Run($"sym {address}").ShouldBe($"{address} (T) vmlab_timer_fn [vmlab] \n");
    }

    [TestBedTheory]
    [InlineData("6.1.0-56-cloud-amd64/sysrq")]
    [InlineData("6.12.117+deb12-cloud-amd64/sysrq")]
    public void Without_a_vmlinux_kallsyms_gives_the_same_symbols_and_no_source_lines(string id)
    {
        var run = TestBedIndex.Current!.Find(id)!;
        var addresses = run.Reference(ReferenceFamilies.Types).ShouldNotBeNull().Starting("sym")
            .Where(c => c.Cmd.StartsWith("sym 0x", StringComparison.Ordinal)).ToList();
        addresses.Count.ShouldBeGreaterThanOrEqualTo(250);
        string script = string.Join('\n', addresses.Select(c => c.Cmd));
        using var withVmlinux = KdxSession.Open(run, "elf");
        using var kallsyms = KdxSession.Open(run, "elf", SymbolSource.DumpOnly);
        kallsyms.Program.SymbolSource.ShouldBe("kallsyms");
        foreach (var c in addresses)
        {
            string full = withVmlinux.Run(c.Cmd);
            string bare = kallsyms.Run(c.Cmd);

            // The same address, letter, name and offset; kallsyms has no source lines (text keeps crash's space).
            bare.ShouldBe(SourceLine().Replace(full, " \n"), c.Cmd);
        }
    }

    private static string RunInRunDirectory(KdxSession session, TestBedRun run, string cmd)
    {
        // crash ran in the run's directory: "mod -s vmlab vmlab.ko" names the file relative to it, and mod
        // shows the name as given.
        string absolute = Path.Combine(run.Dir, "vmlab.ko");
        string output = session.Run(cmd == "mod -s vmlab vmlab.ko" ? $"mod -s vmlab {absolute}" : cmd);
        return output.Replace($"  {absolute} \n", "  vmlab.ko \n", StringComparison.Ordinal);
    }

    // Kdx's answers less the module symbols crash did not know of (--no_modules).
    private static string WithoutModules(string output, string option)
    {
        var lines = output.Split('\n').SkipLast(1);
        if (option == "-l")
        {
            int start = Array.FindIndex([.. lines], l => l.Contains(" MODULE START: ", StringComparison.Ordinal));
            lines = start < 0 ? lines : lines.Take(start);
        }
        else if (option == "-q")
        {
            lines = lines.Where(l => !l.EndsWith(']'));
        }

        return string.Concat(lines.Select(l => l + "\n"));
    }

    private static ulong Hex(string text) => ulong.Parse(text.StartsWith("0x", StringComparison.Ordinal) ? text[2..] : text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static string VmlabSource()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "tests", "vmcores", "module", "vmlab.c")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return Path.Combine(dir!, "tests", "vmcores", "module", "vmlab.c");
    }

    [GeneratedRegex(@"^(\S+ \(T\) _stext) /\S+/head_64\.S: \d+\n$")]
    private static partial Regex StextLine();

    [GeneratedRegex(@" \S+: \d+\n$")]
    private static partial Regex SourceLine();
}
