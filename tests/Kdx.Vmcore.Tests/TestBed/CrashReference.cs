using System.Text.Json;

namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>
/// The outputs of crash 8.0.2 on one dump for one reference family (<c>crash-ref.json</c> for the base family,
/// <c>crash-FAMILY.json</c> for the others; written by <c>tests/vmcores/lib/crash-ref.py</c>): one session, one
/// entry per command (a session that hung or died is restarted for the rest).
/// </summary>
public sealed class CrashReference
{
    private CrashReference(JsonElement r, string family)
    {
        Family = family;
        Restarts = JsonRead.Int(r, "restarts") ?? 0;
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
                TestBedRun.Str(c, "status"))
            {
                What = OptStr(c, "what"),
                Note = OptStr(c, "note"),
                CrashFailed = OptStr(c, "crash_failed"),
                Truth = OptStr(c, "truth"),
                OutputSha256 = OptStr(c, "output_sha256"),
                OutputLines = JsonRead.Int(c, "output_lines"),
            }),
        ];
    }

    /// <summary>The reference family (<see cref="ReferenceFamilies"/>).</summary>
    public string Family { get; }

    /// <summary>How many times the session was restarted after a command hung or crash died.</summary>
    public int Restarts { get; }

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

    /// <summary>Reads a crash-ref.json (the base family).</summary>
    public static CrashReference Load(string path) => Load(path, ReferenceFamilies.Base);

    /// <summary>Reads the crash reference file of <paramref name="family"/>.</summary>
    public static CrashReference Load(string path, string family) => new(JsonRead.Load(path), family);

    /// <summary>The entries whose command starts with <paramref name="prefix"/> followed by a space or the end (e.g. "sym", "struct -o").</summary>
    public IEnumerable<CrashCommandResult> Starting(string prefix) =>
        Commands.Where(c => c.Cmd == prefix || c.Cmd.StartsWith(prefix + " ", StringComparison.Ordinal));

    /// <summary>
    /// The output of <paramref name="cmd"/> (exact command text, e.g. "rd -64 0xffff... 4"), or null
    /// when it was not run or did not complete (timeout, crash died).
    /// </summary>
    public string? Output(string cmd) => Find(cmd) is { Status: "ok" } c ? c.Output : null;

    /// <summary>
    /// The layout crash printed for <c>struct -o NAME</c> or <c>union -o NAME</c> (<paramref name="typeName"/> is
    /// "task_struct" or "union sigval"), or null when the command is not in this reference or crash printed none.
    /// </summary>
    public TypeLayout? Layout(string typeName)
    {
        string cmd = typeName.StartsWith("union ", StringComparison.Ordinal) ? "union -o " + typeName[6..]
            : "struct -o " + (typeName.StartsWith("struct ", StringComparison.Ordinal) ? typeName[7..] : typeName);
        return CrashStructText.Parse(Output(cmd));
    }

    /// <summary>Every <c>struct -o</c> / <c>union -o</c> layout crash printed, by "struct NAME" / "union NAME".</summary>
    public IReadOnlyDictionary<string, TypeLayout> Layouts() =>
        Starting("struct -o").Concat(Starting("union -o"))
            .Select(c => CrashStructText.Parse(c.Status == "ok" ? c.Output : null)).OfType<TypeLayout>()
            .GroupBy(l => l.Name).ToDictionary(g => g.Key, g => g.First());

    /// <summary>The <c>sym ADDRESS</c> commands (address in hex) and crash's answers, trimmed (only the completed ones).</summary>
    public IReadOnlyDictionary<ulong, string> SymAddresses() =>
        Starting("sym").Where(c => c.Status == "ok" && c.Cmd.StartsWith("sym 0x", StringComparison.Ordinal))
            .GroupBy(c => JsonRead.ParseHex(c.Cmd[4..]))
            .ToDictionary(g => g.Key, g => (g.First().Output ?? "").TrimEnd());

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
public sealed record CrashCommandResult(string Cmd, string? Output, double? Seconds, string Status)
{
    /// <summary>What the command looks at and why it was chosen (the families after base), or null.</summary>
    public string? What { get; init; }

    /// <summary>Why it was skipped or not run, or null.</summary>
    public string? Note { get; init; }

    /// <summary>
    /// Why crash could not answer although it ran (its gdb died: every type on 6.12; <c>--no_modules</c> hid the
    /// modules), or null; then <see cref="Truth"/> says where the ground truth is.
    /// </summary>
    public string? CrashFailed { get; init; }

    /// <summary>Which file of ref/truth/ answers this command when crash could not, or null.</summary>
    public string? Truth { get; init; }

    /// <summary>
    /// For a huge output (<c>sym -l</c>) kept as its first lines only: the sha256 (hex) of the whole output, else null.
    /// </summary>
    public string? OutputSha256 { get; init; }

    /// <summary>For a huge output kept as its first lines only: how many lines it had, else null.</summary>
    public int? OutputLines { get; init; }

    /// <summary>Whether <see cref="Output"/> is only the head of the real output (see <see cref="OutputSha256"/>).</summary>
    public bool Truncated => OutputSha256 is not null;
}
