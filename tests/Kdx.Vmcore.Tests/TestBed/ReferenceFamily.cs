using System.Text.Json;

namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>
/// One family of reference outputs of a run, as index.json lists it (from the run's
/// <c>ref/refs.json</c>, written by <c>tests/vmcores/lib/make-refs.py</c>). Each family has its own version
/// (REFS_VERSION in <c>lib/reflib/families.py</c>), so that bumping one re-runs only its tools on the
/// existing dumps.
/// </summary>
/// <param name="Name">base, truth, types, dis, state or bt (<see cref="ReferenceFamilies"/>).</param>
/// <param name="Version">the REFS_VERSION it was made with.</param>
/// <param name="What">what it holds.</param>
/// <param name="Made">when (UTC), or "adopted from analysis.json" for the first references of older runs.</param>
/// <param name="Formats">crash families: the formats it ran on (format name to result).</param>
/// <param name="Files">the truth family: its files (drgn, gdb_layouts, symbols) by key.</param>
/// <param name="Errors">the truth family: what failed while making it.</param>
public sealed record ReferenceFamily(
    string Name, int Version, string? What, string? Made, IReadOnlyDictionary<string, FamilyFormat> Formats,
    IReadOnlyDictionary<string, string> Files, IReadOnlyList<string> Errors)
{
    internal static ReferenceFamily Parse(string name, JsonElement e)
    {
        var formats = new Dictionary<string, FamilyFormat>();
        if (JsonRead.Has(e, "formats", out var fs))
        {
            foreach (var f in fs.EnumerateObject())
            {
                var statuses = new Dictionary<string, int>();
                if (JsonRead.Has(f.Value, "statuses", out var st))
                {
                    foreach (var s in st.EnumerateObject())
                    {
                        statuses[s.Name] = s.Value.GetInt32();
                    }
                }

                formats[f.Name] = new FamilyFormat(
                    f.Name, JsonRead.Str(f.Value, "path"), JsonRead.Bool(f.Value, "opens") ?? false, JsonRead.Str(f.Value, "mode"),
                    JsonRead.Str(f.Value, "not_run"), statuses, JsonRead.Double(f.Value, "seconds"))
                {
                    CrashFailed = JsonRead.Int(f.Value, "crash_failed") ?? 0,
                    TruthInstead = JsonRead.Str(f.Value, "truth_instead"),
                };
            }
        }

        var files = new Dictionary<string, string>();
        if (JsonRead.Has(e, "files", out var fl))
        {
            foreach (var f in fl.EnumerateObject())
            {
                files[f.Name] = f.Value.GetString()!;
            }
        }

        return new ReferenceFamily(
            name, JsonRead.Int(e, "version") ?? 0, JsonRead.Str(e, "what"), JsonRead.Str(e, "made"), formats, files,
            JsonRead.Strings(e, "errors"));
    }
}

/// <summary>A crash family's result on one format.</summary>
/// <param name="Format">the dump format.</param>
/// <param name="Path">the crash-FAMILY.json (crash-ref.json for base), or null when it was not run.</param>
/// <param name="Opens">whether crash reached its prompt.</param>
/// <param name="Mode">"default" or "kaslr-auto-no-modules".</param>
/// <param name="NotRun">why the family did not run on this format (crash cannot open the dump), or null.</param>
/// <param name="Statuses">command count per status (ok, skipped, timeout, died, not-run).</param>
/// <param name="Seconds">the session's wall time.</param>
public sealed record FamilyFormat(
    string Format, string? Path, bool Opens, string? Mode, string? NotRun, IReadOnlyDictionary<string, int> Statuses,
    double? Seconds)
{
    /// <summary>How many commands crash ran but could not answer (<see cref="CrashCommandResult.CrashFailed"/>).</summary>
    public int CrashFailed { get; init; }

    /// <summary>When <see cref="CrashFailed"/> is not 0: where the ground truth of those commands is.</summary>
    public string? TruthInstead { get; init; }
}

/// <summary>The names of the reference families.</summary>
public static class ReferenceFamilies
{
    /// <summary>The first references (crash-ref.json): the lab's 21 commands, help -D/-n, rd/vtop/ptov; every format.</summary>
    public const string Base = "base";

    /// <summary>drgn and gdb ground truth (ref/truth/): <see cref="GroundTruth"/>, <see cref="GdbLayouts"/>, <see cref="SymbolTruth"/>.</summary>
    public const string Truth = "truth";

    /// <summary>struct/union/whatis/ptype, struct at addresses, p, eval, sym, list, tree, mod (issue 3); the ELF dump.</summary>
    public const string Types = "types";

    /// <summary>dis of at least 120 functions with every option (issue 5); the ELF dump.</summary>
    public const string Dis = "dis";

    /// <summary>sys, ps, task, foreach, log, kmem, irq, timer, runq, mach, dev, net, files, vm, ... (issue 4); <see cref="StateFormats"/>.</summary>
    public const string State = "state";

    /// <summary>bt with every option, per task, foreach bt (issue 5); <see cref="StateFormats"/>.</summary>
    public const string Bt = "bt";

    /// <summary>The formats of the state and bt families: the ELF, the -d 31 kdump and the host-side QEMU ELF.</summary>
    public static readonly IReadOnlyList<string> StateFormats = ["elf", "kdump-lzo", "qemu-elf"];

    /// <summary>The families made with crash, one session per format.</summary>
    public static readonly IReadOnlyList<string> Crash = [Base, Types, Dis, State, Bt];

    /// <summary>Every family setup.sh makes (lib/reflib/families.py FAMILIES).</summary>
    public static readonly IReadOnlyList<string> All = [Base, Truth, Types, Dis, State, Bt];

    /// <summary>The formats each crash family runs on (lib/reflib/families.py; checked against index.json).</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Formats = new Dictionary<string, IReadOnlyList<string>>
    {
        [Base] = TestBedIndex.AllFormats,
        [Types] = ["elf"],
        [Dis] = ["elf"],
        [State] = StateFormats,
        [Bt] = StateFormats,
    };
}
