using System.Text.RegularExpressions;
using Kdx.Core.Debug.Dwarf;
using Kdx.Core.Elf;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Walk;

/// <summary>
/// <c>list</c> and <c>tree</c> against crash 8.0.2 on the 6.1 CI runs: every command tests/vmcores/walk-refs.sh
/// asked crash (its kdump-lzo dump, vmlab.ko's debuginfo loaded), run by Kdx on the same dump with vmlab.ko's DWARF.
/// The output must be the same, but for these differences kept on purpose:
/// <list type="number">
/// <item>A usage error: crash prints a "Usage:" block after the message, Kdx one line ending "(usage: …)"; both
/// are cut to the message.</item>
/// <item>A memory fault: Kdx adds why in parentheses after crash's line (the page-table entry that is not
/// present); the parenthesis is cut.</item>
/// </list>
/// </summary>
public sealed partial class WalkCrashReferenceTests
{
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void List_and_tree_print_what_crash_prints(string id)
    {
        var run = CiRuns.Get(id);
        if (!run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) || !run.Formats["kdump-lzo"].CrashOpens)
        {
            return; // crash 8.0.2 opens only the 6.1 dumps with their modules; WalkRealDumpTests covers 6.12
        }

        string path = Path.Combine(TestBedIndex.RootDirectory, "walk-refs", id, "crash-ref.json");
        File.Exists(path).ShouldBeTrue($"{path} is missing: run tests/vmcores/walk-refs.sh");
        var reference = CrashReference.Load(path);
        using var kdx = KdxSession.Open(run, "kdump-lzo");
        using var ko = ElfFile.Open(run.VmlabKo);
        using var dwarf = DwarfTypeSource.OpenModule(ko);
        kdx.Program.Types.Add(dwarf);
        int compared = 0;
        foreach (var command in reference.Commands.Where(c => !c.Cmd.StartsWith("mod ", StringComparison.Ordinal)))
        {
            command.Status.ShouldBe("ok", command.Cmd);
            Normalize(kdx.Run(command.Cmd)).ShouldBe(Normalize(command.Output!), command.Cmd);
            compared++;
        }

        compared.ShouldBeGreaterThan(25);
    }

    private static string Normalize(string output)
    {
        var lines = output.Split('\n').ToList();
        int usage = lines.IndexOf("Usage:");
        if (usage >= 0)
        {
            lines.RemoveRange(usage, lines.FindIndex(usage, l => l.StartsWith("Enter \"help", StringComparison.Ordinal)) - usage + 1);
        }

        return string.Join('\n', lines.Select(l => Detail().Replace(UsageSuffix().Replace(l, string.Empty), "$1")));
    }

    [GeneratedRegex(@" \(usage: .*\)$")]
    private static partial Regex UsageSuffix();

    [GeneratedRegex(@"(  type: ""[^""]*"") \(.*\)$")]
    private static partial Regex Detail();
}
