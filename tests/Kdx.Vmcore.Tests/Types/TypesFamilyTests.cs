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
/// failed on are skipped (the family marks them), as are the kinds listed in <see cref="Differs"/>, each
/// with the reason.
/// </summary>
public sealed partial class TypesFamilyTests
{
    /// <summary>Commands whose output differs from crash's on purpose, and why.</summary>
    private static readonly (Regex Command, string Why)[] Differs =
    [
        (new(@"^sym -l$"), "stored as a digest only; Symbols/SymModReferenceTests checks its line count and SHA-256"),
    ];

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Every_command_of_the_types_family_prints_what_crash_printed(string runId)
    {
        var run = CiRuns.Get(runId);
        var reference = run.Reference("types");
        reference.ShouldNotBeNull("the types family is made by tests/vmcores/setup.sh");
        using var kdx = KdxSession.Open(run, "elf");
        var problems = new List<string>();
        int compared = 0;
        foreach (var c in reference.Commands)
        {
            // crash ran in the run's directory: "vmlab.ko" is the run's copy of the module.
            string actual = kdx.Run(c.Cmd.Replace(" vmlab.ko", " " + run.VmlabKo, StringComparison.Ordinal)).Replace(run.VmlabKo, "vmlab.ko", StringComparison.Ordinal);
            if (c.Status != "ok" || c.CrashFailed is not null || c.Output is null || Differs.Any(d => d.Command.IsMatch(c.Cmd)))
            {
                continue;
            }

            compared++;
            string expected = History().Replace(c.Output, "$N").TrimEnd('\n');
            string mine = History().Replace(actual, "$N").TrimEnd('\n');
            if (expected != mine)
            {
                problems.Add(Difference(c.Cmd, expected, mine));
            }
        }

        compared.ShouldBeGreaterThan(run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) ? 400 : 100);
        problems.ShouldBeEmpty($"{problems.Count} of {compared} differ:\n" + string.Join("\n", problems.Take(400)));
    }

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
}
