using System.Text.Json;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Symbols;

/// <summary>One command of crash's "types" reference session; huge outputs are kept as their first lines, line count and SHA-256.</summary>
/// <param name="Cmd">The command line crash ran.</param>
/// <param name="Output">What crash printed (only the first lines when <paramref name="Truncated"/>).</param>
/// <param name="Truncated">Whether only the first lines were kept.</param>
/// <param name="Lines">The number of lines of the whole output.</param>
/// <param name="Sha256">The SHA-256 (lower-case hex) of the whole output.</param>
public sealed record CrashTypesCommand(string Cmd, string Output, bool Truncated, int Lines, string? Sha256);

/// <summary>
/// <c>ref/FORMAT/crash-types.json</c> of a run: crash 8.0.2's answers to sym, mod, struct, p … (the test bed's
/// "types" reference family, written by the test bed's crash reference script), in the order crash ran them.
/// </summary>
public static class CrashTypesReference
{
    /// <summary>The path of the reference of <paramref name="format"/> of <paramref name="run"/>.</summary>
    public static string PathOf(TestBedRun run, string format = "elf") => Path.Combine(run.Dir, "ref", format, "crash-types.json");

    /// <summary>The crash command line arguments the session was started with (e.g. "--no_modules").</summary>
    public static IReadOnlyList<string> CrashArgs(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return [.. doc.RootElement.GetProperty("crash_args").EnumerateArray().Select(a => a.GetString()!)];
    }

    /// <summary>The commands crash completed whose first word is one of <paramref name="commands"/>.</summary>
    public static IReadOnlyList<CrashTypesCommand> Load(string path, params string[] commands)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var list = new List<CrashTypesCommand>();
        foreach (var c in doc.RootElement.GetProperty("commands").EnumerateArray())
        {
            string cmd = c.GetProperty("cmd").GetString()!;
            if (c.GetProperty("status").GetString() != "ok" || !commands.Contains(cmd.Split(' ')[0]))
            {
                continue;
            }

            bool truncated = c.TryGetProperty("output_truncated", out var t) && t.GetBoolean();
            string output = c.GetProperty("output").ValueKind == JsonValueKind.String ? c.GetProperty("output").GetString()! : string.Empty;
            int lines = truncated ? c.GetProperty("output_lines").GetInt32() : output.Split('\n').Length - 1;
            string? sha = truncated ? c.GetProperty("output_sha256").GetString() : null;
            list.Add(new CrashTypesCommand(cmd, output, truncated, lines, sha));
        }

        return list;
    }
}
