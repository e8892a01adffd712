using System.Globalization;
using System.Text.RegularExpressions;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Types;

/// <summary>
/// Every command of the test bed's "types" reference family (crash 8.0.2 run on each run's unfiltered ELF
/// dump by tests/vmcores/lib/make-refs.py, remade with the dumps, so nothing here is tied to one build of
/// the test bed) run in one Kdx session in crash's order, compared with crash's output. History numbers
/// ($N) are compared as "$N" (the family's session runs other commands first). Commands crash itself
/// failed on are skipped (the family marks them). Where crash is wrong or Kdx answers on purpose where crash
/// refuses (<see cref="Differs"/>), Kdx's answer is checked against the ground truth (drgn, the symbol
/// table) or crash's answer to the equivalent command instead. On 6.12 crash ran with --no_modules: the lines
/// Kdx prints for module symbols are checked against the modules' kallsyms drgn read, the rest against crash.
/// </summary>
public sealed partial class TypesFamilyTests
{
    private delegate string? Check(Context c, Match m, string kdx);

    /// <summary>Commands whose output differs from crash's on purpose: why, and what Kdx's answer is checked against.</summary>
    private static readonly (Regex Command, Regex? CrashSays, string Why, Check Check)[] Differs =
    [
        (new(@"^sym -l$"), null, "stored as a digest only; Symbols/SymModReferenceTests checks its line count and SHA-256", (_, _, _) => null),
        (new(@"^p jiffies - 100$"), new("gdb request failed"),
            "crash passes gdb \"p jiffies 100\" (it takes the '-' for an option); drgn's jiffies less 100",
            (c, _, kdx) => CheckJiffiesLess100(c, kdx)),
        (new(@"^sym \S+$"), new(@"^[0-9a-f]{16} \(T\) _stext \n$"),
            "crash 8.0.2 prints no source line for _stext on 6.1, the first kernel text address; Kdx gives head_64.S's line (on 6.12 neither has one)",
            (c, _, kdx) => kdx == c.Crash || Regex.IsMatch(kdx, "^" + Regex.Escape(c.Crash.TrimEnd()) + @" /\S+/arch/x86/kernel/head_64\.S: \d+\n$")
                ? null : "expected crash's line and head_64.S: LINE"),
        (new(@"^tree -t radix (\S+)$"), new("radix trees do not exist"),
            "crash 8.0.2 refuses -t radix on kernels whose radix tree is an XArray (4.20+); Kdx walks it as the XArray it is",
            (c, m, kdx) => c.Reference.Output("tree -t xarray " + m.Groups[1].Value) is { } xa
                ? (xa == kdx ? null : "not what crash printed for tree -t xarray of the same root") : "no tree -t xarray of the same root"),
        (new(@"^tree -t maple (\S+)$"), new("invalid tree type: maple"),
            "crash 8.0.2 has no maple tree walker (Linux 6.1+); the entries are checked against drgn's walk of the same tree",
            (c, m, kdx) => CheckMaple(c, m.Groups[1].Value, kdx)),
    ];

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Every_command_of_the_types_family_prints_what_crash_printed(string runId)
    {
        var run = CiRuns.Get(runId);
        var reference = run.Reference("types");
        reference.ShouldNotBeNull("the types family is made by tests/vmcores/setup.sh");
        var truth = run.LoadTruth().ShouldNotBeNull("the truth family is made by tests/vmcores/setup.sh");
        bool noModules = reference.Mode == "kaslr-auto-no-modules";
        using var kdx = KdxSession.Open(run, "elf");
        var problems = new List<string>();
        int compared = 0, checkedInstead = 0;
        foreach (var c in reference.Commands)
        {
            // crash ran in the run's directory: "vmlab.ko" is the run's copy of the module.
            string actual = kdx.Run(c.Cmd.Replace(" vmlab.ko", " " + run.VmlabKo, StringComparison.Ordinal)).Replace(run.VmlabKo, "vmlab.ko", StringComparison.Ordinal);
            if (c.Status != "ok" || c.CrashFailed is not null || c.Output is null)
            {
                continue;
            }

            string expected = History().Replace(c.Output, "$N");
            string mine = History().Replace(actual, "$N");
            var context = new Context(run, reference, truth, kdx, expected);
            if (Differs.FirstOrDefault(d => d.Command.IsMatch(c.Cmd) && (d.CrashSays is null || d.CrashSays.IsMatch(expected))) is { Check: not null } differ)
            {
                checkedInstead++;
                if (differ.Check(context, differ.Command.Match(c.Cmd), mine) is { } wrong)
                {
                    problems.Add($"{c.Cmd} ({differ.Why}): {wrong}\n--- kdx\n{Head(mine)}");
                }

                continue;
            }

            compared++;
            if (noModules)
            {
                // crash --no_modules knows no module symbol: Kdx's module lines go to the truth, the rest to crash.
                (mine, string? wrong) = WithoutModuleSymbols(context, c.Cmd, mine);
                if (wrong is not null)
                {
                    problems.Add($"{c.Cmd} (crash ran with --no_modules): {wrong}\n--- kdx\n{Head(mine)}");
                    continue;
                }
            }

            if (expected.TrimEnd('\n') != mine.TrimEnd('\n'))
            {
                problems.Add(Difference(c.Cmd, expected.TrimEnd('\n'), mine.TrimEnd('\n')));
            }
        }

        compared.ShouldBeGreaterThan(run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) ? 400 : 100);
        checkedInstead.ShouldBeGreaterThan(1);
        problems.ShouldBeEmpty($"{problems.Count} of {compared + checkedInstead} differ:\n" + string.Join("\n", problems.Take(400)));
    }

    private static string? CheckJiffiesLess100(Context c, string kdx)
    {
        var jiffies = c.Truth.Globals.FirstOrDefault(g => g.Expression == "p jiffies")?.Integer;
        return jiffies is null ? "drgn has no jiffies"
            : kdx == $"jiffies = $N = {jiffies - 100}\n" ? null : $"expected jiffies = $N = {jiffies - 100}";
    }

    // 6.1: the panic task's mm->mm_mt, whose entries are its VMAs (drgn walked them); 6.12: sparse_irqs, whose
    // entry at index N is irq N's irq_desc (irq_data.irq says which).
    private static string? CheckMaple(Context c, string root, string kdx)
    {
        var entries = kdx.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => ulong.Parse(l, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToList();
        if (root == "sparse_irqs")
        {
            var irqs = entries.Select(e => long.Parse(Regex.Match(c.Kdx.Run($"struct irq_desc.irq_data.irq {e:x}"), @"irq = (\d+)").Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            return irqs.Count > 0 && irqs.Zip(irqs.Skip(1)).All(p => p.First < p.Second) ? null : $"irq numbers not ascending: {string.Join(',', irqs)}";
        }

        ulong mm = c.Truth.Anchors.GetValueOrDefault("panic_task_mm") ?? 0;
        ulong at = ulong.Parse(root.Replace("0x", string.Empty, StringComparison.Ordinal), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        if (mm == 0 || (at != mm && at != c.Truth.Anchors.GetValueOrDefault("panic_task_mm_mt")))
        {
            return $"{root} is neither the panic task's mm nor its mm_mt";
        }

        var vmas = c.Truth.Tasks.FirstOrDefault(t => t.Mm == mm && t.Vmas.Count > 0)?.Vmas.Select(v => v.Address).ToList();
        return vmas is null ? "drgn has no VMAs of the panic task's mm"
            : entries.SequenceEqual(vmas) ? null : $"drgn's VMAs: {string.Join(' ', vmas.Select(v => v.ToString("x", CultureInfo.InvariantCulture)))}";
    }

    // Module symbol lines ("ADDR (t) NAME [MODULE]...") must be in that module's kallsyms as drgn read them;
    // what is left is compared with crash. A name crash did not find must be a module symbol.
    private static (string Kept, string? Wrong) WithoutModuleSymbols(Context c, string cmd, string kdx)
    {
        var rest = new List<string>();
        int moduleLines = 0;
        foreach (string line in kdx.TrimEnd('\n').Split('\n'))
        {
            var m = ModuleSymbolLine().Match(line);
            if (!m.Success)
            {
                rest.Add(line);
                continue;
            }

            moduleLines++;
            ulong address = ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var module = c.Truth.Modules.FirstOrDefault(x => x.Name == m.Groups[4].Value);
            // drgn keeps kallsyms' lower-case letter; crash and Kdx write a global symbol's in upper case.
            if (module is null || !module.Symbols.Any(s => s.Name == m.Groups[3].Value && s.Address == address
                && string.Equals(s.Type, m.Groups[2].Value, StringComparison.OrdinalIgnoreCase)))
            {
                return (kdx, $"not a symbol of {m.Groups[4].Value} as drgn read its kallsyms: {line}");
            }
        }

        var missing = Regex.Match(c.Crash, @"^symbol not found: (\S+)\n");
        if (missing.Success && c.Truth.Modules.Any(x => x.Symbols.Any(s => s.Name == missing.Groups[1].Value)))
        {
            // struct TYPE MODULE_SYMBOL: Kdx read it; vmlab_timer is checked against drgn's reading.
            if (moduleLines == 0 && missing.Groups[1].Value == "vmlab_timer" && c.Truth.Vmlab is { } lab)
            {
                return kdx.Contains($"expires = {lab.Timer.Expires},", StringComparison.Ordinal) ? (c.Crash, null) : (kdx, $"expires is not {lab.Timer.Expires}");
            }

            return moduleLines > 0 && (rest.Count == 0 || cmd.StartsWith("sym -", StringComparison.Ordinal)) ? (c.Crash, null) : (kdx, "no module symbol line");
        }

        if (rest.Count == 0 && moduleLines > 0 && c.Crash == "(none found)\n")
        {
            return (c.Crash, null);
        }

        return (string.Join('\n', rest) + "\n", null);
    }

    private static string Head(string s) => string.Join('\n', s.Split('\n').Take(8));

    /// <summary>The command and a few lines of both outputs around the first line that differs.</summary>
    private static string Difference(string cmd, string expected, string mine)
    {
        string[] a = expected.Split('\n'), b = mine.Split('\n');
        int first = 0;
        while (first < a.Length && first < b.Length && a[first] == b[first])
        {
            first++;
        }

        int from = Math.Max(0, first - 2);
        string Lines(string[] l) => string.Join('\n', l.Skip(from).Take(7));
        return $"{cmd}\n--- crash (line {first + 1} of {a.Length})\n{Lines(a)}\n--- kdx (of {b.Length})\n{Lines(b)}";
    }

    [GeneratedRegex(@"\$\d+")]
    private static partial Regex History();

    [GeneratedRegex(@"^([0-9a-f]{16}) \((\w)\) (\S+) \[(\w+)\]")]
    private static partial Regex ModuleSymbolLine();

    private sealed record Context(TestBedRun Run, CrashReference Reference, GroundTruth Truth, KdxSession Kdx, string Crash);
}
