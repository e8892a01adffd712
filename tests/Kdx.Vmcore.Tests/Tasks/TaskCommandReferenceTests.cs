using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Tasks;

/// <summary>
/// The per-task commands (task, files, sig, ps -a) and foreach against crash 8.0.2's answers in the state
/// reference family (elf, kdump-lzo, qemu-elf of every run). crash sees only the active tasks of these kernels
/// (6.1: its PID hash walk fails; 6.12: its gdb dies on most commands, marked crash_failed), so its answers for
/// other tasks are errors and are not compared here: those tasks are checked against drgn's ground truth in
/// <see cref="TaskTruthTests"/>. Where crash answered, Kdx's output must be the same text, with one
/// normalisation: trailing blank lines (crash ends some answers with one blank line, some with two).
/// </summary>
public sealed class TaskCommandReferenceTests
{
    private static readonly string[] Compared = ["task", "files", "sig", "ps -a"];

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Per_task_commands_print_what_crash_printed_for_the_tasks_it_sees(string runId)
    {
        var run = CiRuns.Get(runId);
        var failures = new List<string>();
        int compared = 0;
        foreach (string format in ReferenceFamilies.StateFormats)
        {
            if (run.Reference(ReferenceFamilies.State, format) is not { Opens: true } crash)
            {
                continue;
            }

            using var kdx = KdxSession.Open(run, format);
            foreach (var c in crash.Commands)
            {
                if (c.Status != "ok" || c.CrashFailed is not null || c.Output is null || !Compared.Any(p => c.Cmd == p || c.Cmd.StartsWith(p + " ", StringComparison.Ordinal)) ||
                    c.Output.Contains("invalid task or pid value", StringComparison.Ordinal))
                {
                    continue;
                }

                if (c.Cmd == "ps -a")
                {
                    // Every task: Kdx lists all of them, crash the active ones; compare crash's.
                    var mine = Blocks(kdx.Run(c.Cmd));
                    foreach (var (header, body) in Blocks(c.Output))
                    {
                        if (!mine.TryGetValue(header, out string? kdxBody) || kdxBody != body)
                        {
                            failures.Add($"{run} {format} \"{c.Cmd}\" {header}: {FirstDifference(body, kdxBody ?? "(no block)")}");
                        }
                    }

                    compared++;
                    continue;
                }

                // Without a task, each answers for its current task: on 6.12 crash never found the panic task and
                // took swapper/0. Kdx is then asked about crash's task.
                string cmd = c.Cmd;
                if (cmd is "task" or "files" or "sig" && c.Output.StartsWith("PID: ", StringComparison.Ordinal))
                {
                    cmd += " " + c.Output.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
                }

                string expected = Normalise(c.Output);
                string actual = Normalise(kdx.Run(cmd));
                if (expected != actual)
                {
                    failures.Add($"{run} {format} \"{c.Cmd}\": {FirstDifference(expected, actual)}");
                }

                compared++;
            }
        }

        if (run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) && run.Reference(ReferenceFamilies.State, "elf") is not null)
        {
            // Per format: task/-R/files/-c/sig for two tasks, task -x for four, task, files, sig, sig -l, sig -g, ps -a twice.
            compared.ShouldBeGreaterThanOrEqualTo(3 * 20);
        }

        failures.ShouldBeEmpty(string.Join("\n", failures.Take(10)));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Foreach_answers_for_the_tasks_crash_saw_as_crash_did_and_selects_the_same_kind_of_tasks(string runId)
    {
        var run = CiRuns.Get(runId);
        var failures = new List<string>();
        int compared = 0;
        foreach (string format in ReferenceFamilies.StateFormats)
        {
            if (run.Reference(ReferenceFamilies.State, format) is not { Opens: true } crash)
            {
                continue;
            }

            using var kdx = KdxSession.Open(run, format);
            foreach (var c in crash.Starting("foreach"))
            {
                if (c.Status != "ok" || c.CrashFailed is not null || c.Output is null || c.Cmd.EndsWith(" vm", StringComparison.Ordinal))
                {
                    continue;
                }

                string mine = kdx.Run(c.Cmd);
                if (c.Cmd.EndsWith(" ps", StringComparison.Ordinal))
                {
                    // crash's PPID is -1 and its RSS/%MEM leave out shmem pages (see PsReferenceTests): compare the rest.
                    var rows = PsRows(mine);
                    foreach (var row in PsRows(c.Output))
                    {
                        if (!rows.Contains(row))
                        {
                            failures.Add($"{run} {format} \"{c.Cmd}\": crash's row {row} is missing");
                        }

                        compared++;
                    }

                    continue;
                }

                var blocks = Blocks(mine);
                foreach (var (header, body) in Blocks(c.Output))
                {
                    if (!blocks.TryGetValue(header, out string? kdxBody))
                    {
                        failures.Add($"{run} {format} \"{c.Cmd}\": no block for {header}");
                    }
                    else if (kdxBody != body)
                    {
                        failures.Add($"{run} {format} \"{c.Cmd}\" {header}: {FirstDifference(body, kdxBody)}");
                    }

                    compared++;
                }
            }

            // Kdx sees every task: check that foreach picked the right kind.
            var all = kdx.Session.Tasks;
            string Pids(string cmd) => string.Join(',', PsRows(kdx.Run(cmd)).Select(r => r.Split(' ')[1]));
            Pids("foreach RU ps").ShouldBe(string.Join(',', all.Tasks.Where(t => all.States.ShortName(t.State) == "RU").Select(t => t.Pid)), format);
            Pids("foreach kernel ps").ShouldBe(string.Join(',', all.Tasks.Where(t => t.IsKernelThread).Select(t => t.Pid)), format);
            Pids("foreach gleader ps").ShouldBe(string.Join(',', all.Tasks.Where(t => !t.IsKernelThread && t.IsGroupLeader).Select(t => t.Pid)), format);
            Pids("foreach active ps").ShouldBe(string.Join(',', all.Tasks.Where(t => t.IsActive).Select(t => t.Pid)), format);
            Pids("foreach 1 2 ps").ShouldBe("1,2", format);
            Pids("foreach 'kworker' ps").Split(',').Length.ShouldBe(all.Tasks.Count(t => t.Comm.Contains("kworker", StringComparison.Ordinal)), format);
            Pids("foreach vmlab_kthread ps").ShouldBe(string.Join(',', all.Tasks.Where(t => t.Comm == "vmlab_kthread").Select(t => t.Pid)), format);
        }

        if (run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) && run.Reference(ReferenceFamilies.State, "elf") is not null)
        {
            compared.ShouldBeGreaterThanOrEqualTo(3 * 10);
        }

        failures.ShouldBeEmpty(string.Join("\n", failures.Take(10)));
    }

    // "active PID CPU TASK ST VSZ COMM" of each ps row.
    internal static List<string> PsRows(string output)
    {
        var rows = new List<string>();
        foreach (string line in output.Split('\n'))
        {
            var f = line.Length > 1 ? line[1..].Split(' ', 9, StringSplitOptions.RemoveEmptyEntries) : [];
            if (f.Length == 9 && int.TryParse(f[0], System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                rows.Add($"{(line[0] == '>' ? '>' : '-')} {f[0]} {f[2]} {f[3]} {f[4]} {f[6]} {f[8].Trim()}");
            }
        }

        return rows;
    }

    // Output cut at each "PID: " header line: header to the text up to the next header (trailing blank lines dropped).
    internal static Dictionary<string, string> Blocks(string output)
    {
        var blocks = new Dictionary<string, string>();
        string? header = null;
        var body = new List<string>();
        void Flush()
        {
            if (header is not null)
            {
                blocks[header] = Normalise(string.Join('\n', body));
            }
        }

        foreach (string line in output.Split('\n'))
        {
            if (line.StartsWith("PID: ", StringComparison.Ordinal))
            {
                Flush();
                header = line;
                body.Clear();
            }
            else
            {
                body.Add(line);
            }
        }

        Flush();
        return blocks;
    }

    internal static string Normalise(string text) => text.Replace("\r", string.Empty, StringComparison.Ordinal).TrimEnd('\n', ' ');

    internal static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string el = i < e.Length ? e[i] : "(end)";
            string al = i < a.Length ? a[i] : "(end)";
            if (el != al)
            {
                return $"line {i + 1}: crash \"{el}\", kdx \"{al}\"";
            }
        }

        return "(same)";
    }
}
