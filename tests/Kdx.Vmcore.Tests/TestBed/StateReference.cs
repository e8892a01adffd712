
namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>crash's answers in the <c>state</c> reference family, where crash really answered.</summary>
internal static class StateReference
{
    /// <summary>
    /// crash's output of <paramref name="command"/> on <paramref name="format"/>, or null when crash did not run it,
    /// could not open the dump, or its gdb died on it (crash_failed).
    /// </summary>
    public static string? Answer(TestBedRun run, string format, string command) =>
        Load(run, format) is { Opens: true } crash && crash.Find(command) is { Status: "ok", CrashFailed: null, Output: { } output }
            ? output
            : null;

    /// <summary>How many formats of the run crash opened for the state family.</summary>
    public static int Formats(TestBedRun run) => ReferenceFamilies.StateFormats.Count(f => Load(run, f) is { Opens: true });

    private static CrashReference? Load(TestBedRun run, string format) => run.Reference(ReferenceFamilies.State, format);

    /// <summary>
    /// Runs each of <paramref name="commands"/> in Kdx on every state format crash opened and compares the output
    /// with crash's answer, where crash answered. <paramref name="adjust"/> (session, command, crash's output, Kdx's)
    /// may rewrite the pair for a reason its caller documents, or return null to leave the command out.
    /// </summary>
    public static (int Compared, List<string> Failures) CompareWithCrash(
        TestBedRun run, IReadOnlyList<string> commands, Func<KdxSession, string, string, string, (string Expected, string Actual)?>? adjust = null)
    {
        var failures = new List<string>();
        int compared = 0;
        foreach (var format in ReferenceFamilies.StateFormats)
        {
            if (Load(run, format) is not { Opens: true })
            {
                continue;
            }

            using var kdx = KdxSession.Open(run, format);
            foreach (var command in commands)
            {
                if (Answer(run, format, command) is not { } expected)
                {
                    continue;
                }

                string actual = kdx.Run(command);
                if (adjust is not null)
                {
                    if (adjust(kdx, command, expected, actual) is not { } pair)
                    {
                        continue;
                    }

                    (expected, actual) = pair;
                }

                if (actual != expected)
                {
                    failures.Add($"{run} {format} {command}: {FirstDifference(expected, actual)}");
                }

                compared++;
            }
        }

        return (compared, failures);
    }

    /// <summary>Whether the run is of the 6.1 kernel, where crash 8.0.2 works (but for its task list).</summary>
    public static bool IsSix1(TestBedRun run) => run.Kernel.StartsWith("6.1.", StringComparison.Ordinal);

    /// <summary>The lines of a command output, the final newline dropped.</summary>
    public static string[] Lines(string output) => output.TrimEnd('\n').Split('\n');

    /// <summary>Where two outputs first differ, for a failure message.</summary>
    public static string FirstDifference(string expected, string actual)
    {
        var e = StateReference.Lines(expected);
        var a = StateReference.Lines(actual);
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string el = i < e.Length ? e[i] : "(missing)";
            string al = i < a.Length ? a[i] : "(missing)";
            if (el != al)
            {
                return $"line {i + 1}: crash \"{el}\", kdx \"{al}\"";
            }
        }

        return "(none)";
    }
}
