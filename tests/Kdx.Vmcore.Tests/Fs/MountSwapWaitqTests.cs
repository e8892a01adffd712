using Kdx.Vmcore.Tests.Tasks;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Fs;

/// <summary>
/// mount, swap and waitq against crash 8.0.2's state answers where it gave them (6.1; on 6.12 its gdb dies),
/// and against what the test bed's guest set up: its init mounts rootfs, proc, sysfs, devtmpfs and a tmpfs on
/// /tmp and runs without swap; ksmd sleeps on ksm_thread_wait. crash's "waitq ksm_thread_wait" is empty on
/// 6.1 because ksmd is not among the tasks it found, and its mount fails on 6.12 (it predates the rbtree of mounts); Kdx names ksmd, checked against drgn's task list.
/// </summary>
public sealed class MountSwapWaitqTests
{
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Mount_swap_and_waitq_match_crash_and_the_guest(string runId)
    {
        var run = CiRuns.Get(runId);
        var truth = run.LoadTruth() ?? throw new InvalidOperationException("no truth");
        var failures = new List<string>();
        int compared = 0;
        foreach (string format in ReferenceFamilies.StateFormats)
        {
            using var kdx = KdxSession.Open(run, format);
            if (run.Reference(ReferenceFamilies.State, format) is { Opens: true } crash)
            {
                foreach (string cmd in new[] { "mount", "swap", "waitq log_wait" })
                {
                    // crash 8.0.2 does not know 6.8's rbtree of mounts ("invalid structure member offset: mnt_namespace_list").
                    if (crash.Find(cmd) is { Status: "ok", CrashFailed: null, Output: { } expected } &&
                        !expected.Contains("invalid structure member offset", StringComparison.Ordinal))
                    {
                        string actual = kdx.Run(cmd);
                        if (TaskCommandReferenceTests.Normalise(expected) != TaskCommandReferenceTests.Normalise(actual))
                        {
                            failures.Add($"{run} {format} \"{cmd}\": {TaskCommandReferenceTests.FirstDifference(TaskCommandReferenceTests.Normalise(expected), TaskCommandReferenceTests.Normalise(actual))}");
                        }

                        compared++;
                    }
                }
            }

            // makedumpfile -d 31 drops dentries of 6.12 (slab pages, see VMCORE-LAB.md): a directory that cannot be
            // read must be reported, and the rest is still right.
            string output = kdx.Run("mount");
            var rows = output.Split('\n').Skip(1).Where(l => l.Length > 0 && !l.StartsWith("mount: ", StringComparison.Ordinal))
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
            rows.Select(f => f[2]).ShouldBe(["rootfs", "proc", "sysfs", "devtmpfs", "tmpfs"], $"{run} {format}");
            var expectedDirs = new[] { "/", "/proc", "/sys", "/dev", "/tmp" };
            for (int i = 0; i < rows.Count; i++)
            {
                if (rows[i].Length < 5)
                {
                    output.ShouldContain($"mount: mount {rows[i][0]}: the path of its mount point is incomplete", customMessage: $"{run} {format}");
                }
                else
                {
                    rows[i][4].ShouldBe(expectedDirs[i], $"{run} {format}");
                }
            }

            kdx.Run("swap").ShouldBe("SWAP_INFO_STRUCT    TYPE       SIZE       USED     PCT  PRI  FILENAME\n");
            var ksmd = truth.Tasks.Single(t => t.Comm == "ksmd");
            kdx.Run("waitq ksm_thread_wait").ShouldBe($"PID: {ksmd.Pid,-7}  TASK: {ksmd.Address:x}  CPU: {ksmd.Cpu,-3}  COMMAND: \"ksmd\"\n", $"{run} {format}");
            kdx.Run("waitq 0x1").ShouldStartWith("waitq: ");
        }

        if (run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) && run.Reference(ReferenceFamilies.State, "elf") is not null)
        {
            compared.ShouldBe(9);
        }

        failures.ShouldBeEmpty(string.Join("\n", failures));
    }
}
