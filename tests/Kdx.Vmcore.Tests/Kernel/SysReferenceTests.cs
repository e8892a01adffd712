using System.Text.RegularExpressions;
using Kdx.Vmcore.Tests.Memory;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Kernel;

/// <summary>
/// <c>sys</c> on real dumps. On the 6.1 crashes every line crash 8.0.2 printed is compared, with two
/// differences allowed: DUMPFILE(S) (crash was given paths relative to the run, Kdx absolute ones: the file
/// names are compared) and TASKS (crash found only the active tasks of these kernels; Kdx's count is its ps
/// count). crash stops after PANIC there (it never found the panic task), so PID, COMMAND, CPU and STATE are
/// checked, on every crash of both kernels, against the oops header the guest printed ("CPU: n PID: p Comm: c").
/// The task count may differ between formats only where makedumpfile's -d 31 lost task_structs (6.12).
/// </summary>
public sealed partial class SysReferenceTests
{
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Sys_matches_crash_on_every_format_crash_opened(string runId)
    {
        var run = CiRuns.Get(runId);
        var failures = new List<string>();
        int compared = 0;
        foreach (var format in run.Formats.Values)
        {
            if (format.LoadCrashReference() is not { Opens: true, Mode: "default" } crash || crash.Output("sys") is not { } expectedText)
            {
                continue;
            }

            using var kdx = KdxSession.Open(run, format.Name);
            var actual = kdx.Run("sys").TrimEnd('\n').Split('\n');
            var expected = expectedText.TrimEnd('\n').Split('\n');
            int tasks = kdx.Session.Tasks.Tasks.Count;
            for (int i = 0; i < expected.Length; i++)
            {
                string e = expected[i];
                string a = i < actual.Length ? actual[i] : "(missing)";
                if (e.StartsWith("       TASKS: ", StringComparison.Ordinal))
                {
                    e = $"       TASKS: {tasks}";
                }

                if (e.Contains("DUMPFILE", StringComparison.Ordinal) || (i > 0 && expected[i - 1].Contains("DUMPFILES:", StringComparison.Ordinal) && e.StartsWith("              ", StringComparison.Ordinal)))
                {
                    e = FileNames().Replace(e, m => Path.GetFileName(m.Value));
                    a = FileNames().Replace(a, m => Path.GetFileName(m.Value));
                }

                if (e != a)
                {
                    failures.Add($"{run} {format}: crash \"{e}\", kdx \"{a}\"");
                }
            }

            compared++;
        }

        compared.ShouldBeGreaterThanOrEqualTo(run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) ? 11 : 0);
        failures.ShouldBeEmpty(string.Join("\n", failures.Take(10)));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_panic_task_and_cpu_are_those_of_the_guest_s_oops_header_on_every_format(string runId)
    {
        var run = CiRuns.Get(runId);
        var header = File.ReadLines(run.Dmesg).Select(l => OopsHeader().Match(l)).Last(m => m.Success);
        string cpu = header.Groups[1].Value, pid = header.Groups[2].Value, comm = header.Groups[3].Value;
        foreach (var format in run.Formats.Values)
        {
            using var kdx = KdxSession.Open(run, format.Name, SymbolSource.DumpOnly);
            var lines = kdx.Run("sys").Split('\n');
            lines.ShouldContain($"         PID: {pid}", $"{format}");
            lines.ShouldContain($"     COMMAND: \"{comm}\"", $"{format}");
            lines.ShouldContain($"         CPU: {cpu}", $"{format}");
            lines.ShouldContain("       STATE: TASK_RUNNING (PANIC)", $"{format}");
            lines.ShouldContain($"     RELEASE: {run.Kernel}", $"{format}");
            lines.Single(l => l.StartsWith("       PANIC: ", StringComparison.Ordinal)).ShouldNotBe("       PANIC: \"\"", $"{format}");
            string task = lines.Single(l => l.StartsWith("        TASK: ", StringComparison.Ordinal))[14..30];
            kdx.Run($"ps {pid}").ShouldContain($">{pid.PadLeft(8)}");
            kdx.Run($"ps {pid}").ShouldContain(task);
        }
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Built), MemberType = typeof(CiRuns))]
    public void Every_crash_type_names_its_panic_message_task_and_cpu(string runId)
    {
        var run = CiRuns.Get(runId);
        var console = File.ReadAllLines(run.Dmesg);
        var header = console.Select(l => OopsHeader().Match(l)).Last(m => m.Success);

        // what each scenario of tests/vmcores/guest does to crash the kernel, and what the kernel says then
        string expected = run.Scenario switch
        {
            "sysrq" => "Kernel panic - not syncing: sysrq triggered crash",
            "bug" => "kernel BUG at ",
            "oops" or "irqnull" => "Oops: 0002 [#1]",
            "softlockup" => "Kernel panic - not syncing: softlockup: hung tasks",
            _ => throw new InvalidOperationException($"{run}: a scenario this test does not know: say what its panic message is"),
        };
        string? panicTask = null;
        foreach (var format in new[] { "elf", "kdump-lzo" })
        {
            using var kdx = KdxSession.Open(run, format, SymbolSource.DumpOnly);
            var lines = kdx.Run("sys").Split('\n');
            string panic = lines.Single(l => l.StartsWith("       PANIC: ", StringComparison.Ordinal));
            panic.ShouldContain(expected, Case.Sensitive, $"{run} {format}");
            string message = panic[15..panic.LastIndexOf('"')];
            console.ShouldContain(l => l.EndsWith("] " + message, StringComparison.Ordinal), $"{run} {format}: the guest's console never printed \"{message}\"");
            lines.ShouldContain($"         CPU: {header.Groups[1].Value}", $"{run} {format}");
            string task = lines.Single(l => l.StartsWith("        TASK: ", StringComparison.Ordinal))[14..30];
            panicTask ??= task;
            task.ShouldBe(panicTask, $"{run} {format}");
            if (format == "kdump-lzo" && lines.Any(l => l.Contains("its task_struct cannot be read: page excluded", StringComparison.Ordinal)))
            {
                // makedumpfile 1.7.2 dropped the panic task's task_struct page from some 6.12 -d 31 dumps (bug run):
                // the address and CPU still come from the run queue, and the line says why the rest is missing
                run.Kernel.ShouldStartWith("6.12.");
                continue;
            }

            lines.ShouldContain($"         PID: {header.Groups[2].Value}", $"{run} {format}");
            lines.ShouldContain($"     COMMAND: \"{header.Groups[3].Value}\"", $"{run} {format}");
        }
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Every_in_guest_format_gives_the_same_banner_but_for_the_file_names_and_task_count(string runId)
    {
        var run = CiRuns.Get(runId);
        string? first = null;
        foreach (var name in CiRuns.InGuestFormats)
        {
            using var kdx = KdxSession.Open(run, name, SymbolSource.DumpOnly);
            string banner = string.Join('\n', kdx.Run("sys").Split('\n').Where(l => !l.Contains("DUMPFILE", StringComparison.Ordinal) && !l.StartsWith("              ", StringComparison.Ordinal)
                && !l.StartsWith("       TASKS: ", StringComparison.Ordinal)));
            first ??= banner;
            banner.ShouldBe(first, $"{run} {name}");
        }
    }

    [GeneratedRegex(@"CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (\S+)")]
    private static partial Regex OopsHeader();

    [GeneratedRegex(@"\S*vmcore\.\S+")]
    private static partial Regex FileNames();
}
