using System.Text.Json;

namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>
/// The outputs of crash 8.0.2 on one dump (<c>crash-ref.json</c>, written by
/// <c>tests/vmcores/lib/crash-ref.py</c>): one session, one entry per command.
/// </summary>
public sealed class CrashReference
{
    private CrashReference(JsonElement r)
    {
        Opens = r.GetProperty("opens").GetBoolean();
        Mode = OptStr(r, "mode");
        OpenError = OptStr(r, "open_error");
        CrashVersion = OptStr(r, "crash_version") ?? "";
        if (r.TryGetProperty("startup", out var s) && s.ValueKind == JsonValueKind.Object)
        {
            StartupOutput = OptStr(s, "output");
        }

        Commands =
        [
            .. r.GetProperty("commands").EnumerateArray().Select(c => new CrashCommandResult(
                TestBedRun.Str(c, "cmd"), OptStr(c, "output"),
                c.GetProperty("seconds").ValueKind == JsonValueKind.Number ? c.GetProperty("seconds").GetDouble() : null,
                TestBedRun.Str(c, "status"))),
        ];
    }

    /// <summary>Whether crash reached its prompt.</summary>
    public bool Opens { get; }

    /// <summary>"default", "kaslr-auto-no-modules" (crash run with --kaslr auto --no_modules), or null.</summary>
    public string? Mode { get; }

    /// <summary>Why crash could not open the dump (every attempt), or null.</summary>
    public string? OpenError { get; }

    /// <summary>crash's version line.</summary>
    public string CrashVersion { get; }

    /// <summary>What crash printed before its first prompt (warnings), or null.</summary>
    public string? StartupOutput { get; }

    /// <summary>Every command, in the order it ran.</summary>
    public IReadOnlyList<CrashCommandResult> Commands { get; }

    /// <summary>Reads a crash-ref.json.</summary>
    public static CrashReference Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return new CrashReference(doc.RootElement.Clone());
    }

    /// <summary>
    /// The output of <paramref name="cmd"/> (exact command text, e.g. "rd -64 0xffff... 4"), or null
    /// when it was not run or did not complete (timeout, crash died).
    /// </summary>
    public string? Output(string cmd) => Find(cmd) is { Status: "ok" } c ? c.Output : null;

    /// <summary>The entry of <paramref name="cmd"/>, or null. "struct task_struct... &lt;panic task&gt;" is stored with the address filled in.</summary>
    public CrashCommandResult? Find(string cmd) => Commands.FirstOrDefault(c => c.Cmd == cmd);

    private static string? OptStr(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>One crash command of a reference session.</summary>
/// <param name="Cmd">the command line sent to crash.</param>
/// <param name="Output">what crash printed (null when not run).</param>
/// <param name="Seconds">wall time until the next sentinel came back.</param>
/// <param name="Status">ok, timeout, died, skipped or not-run.</param>
public sealed record CrashCommandResult(string Cmd, string? Output, double? Seconds, string Status);
