
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
