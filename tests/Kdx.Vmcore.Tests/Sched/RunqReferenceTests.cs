using System.Globalization;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Sched;

/// <summary>
/// <c>runq</c> on real dumps. crash 8.0.2 knows only the active tasks of these kernels, and silently skips a
/// queued task it cannot find in its task table, so where it says "[no tasks queued]" the CFS queues really
/// hold runnable tasks (drgn's truth: state R, not current). The comparison with crash therefore first drops
/// Kdx's lines of queued tasks that are not active (putting back crash's "[no tasks queued]" where none is
/// left); every other line must be the same text. Those queued tasks are then checked against the ground
/// truth on every run: each CPU's queues hold exactly the runnable tasks that last ran there and are not
/// running. On 6.12 crash's gdb dies on most runq commands and it counts one CPU; -t, -T and -m are compared
/// for the CPU it saw.
/// </summary>
public sealed class RunqReferenceTests
{
    private static readonly string[] Commands = ["runq", "runq -t", "runq -T", "runq -m", "runq -g", "runq -c 1", "runq -c 0 -g"];

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Runq_commands_match_crash_but_for_the_tasks_crash_cannot_see(string runId)
    {
        var run = CiRuns.Get(runId);
        var (compared, failures) = StateReference.CompareWithCrash(run, Commands, (kdx, command, expected, output) =>
        {
            var active = kdx.Session.Tasks.CurrentByCpu.Select(t => t.ToString("x", CultureInfo.InvariantCulture)).ToHashSet();
            string actual = AsCrashSeesIt(output, active);
            if (!StateReference.IsSix1(run))
            {
                // crash counts one CPU on 6.12 (and -T then has nothing to compare): CPU 0's lines only
                if (command == "runq -T")
                {
                    return null;
                }

                actual = string.Join('\n', StateReference.Lines(actual).Take(StateReference.Lines(expected).Length)) + "\n";
            }

            return (expected, actual);
        });

        compared.ShouldBeGreaterThanOrEqualTo((StateReference.IsSix1(run) ? Commands.Length : 2) * StateReference.Formats(run));
        failures.ShouldBeEmpty(string.Join("\n", failures));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_queued_tasks_are_the_runnable_tasks_that_are_not_running(string runId)
    {
        var run = CiRuns.Get(runId);
        var truth = run.LoadTruth().ShouldNotBeNull();
        using var kdx = KdxSession.Open(run, "elf");
        for (int cpu = 0; cpu < kdx.Program.CpuCount; cpu++)
        {
            var expected = truth.Tasks.Where(t => t.State == "R" && t.CurrentOfCpu is null && t.Cpu == cpu).Select(t => t.Pid).Order().ToList();
            var listed = StateReference.Lines(kdx.Run($"runq -c {cpu}"))
                .Where(l => l.StartsWith("     [", StringComparison.Ordinal) && l.Contains("PID:", StringComparison.Ordinal))
                .Select(l => int.Parse(l.Split("PID: ")[1].Split(' ')[0], CultureInfo.InvariantCulture)).Order().ToList();
            listed.ShouldBe(expected, $"{run} CPU {cpu}");
        }
    }

    // crash skips queued tasks it does not know (it knows only the active ones on these kernels).
    private static string AsCrashSeesIt(string output, HashSet<string> active)
    {
        var lines = new List<string>();
        var all = StateReference.Lines(output);
        for (int i = 0; i < all.Length; i++)
        {
            string l = all[i];
            bool queued = l.StartsWith("     [", StringComparison.Ordinal) && l.Contains("TASK: ", StringComparison.Ordinal);
            if (queued && !active.Contains(l.Split("TASK: ")[1].Split(' ')[0]))
            {
                bool sectionEmpty = !lines[^1].StartsWith("     [", StringComparison.Ordinal);
                bool nextQueued = i + 1 < all.Length && all[i + 1].StartsWith("     [", StringComparison.Ordinal) && all[i + 1].Contains("TASK: ", StringComparison.Ordinal);
                if (sectionEmpty && !nextQueued && lines[^1].Contains("RB_ROOT", StringComparison.Ordinal))
                {
                    lines.Add("     [no tasks queued]");
                }

                continue;
            }

            lines.Add(l);
        }

        return string.Join('\n', lines) + "\n";
    }
}
