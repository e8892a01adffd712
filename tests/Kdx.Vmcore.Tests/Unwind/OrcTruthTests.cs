using Kdx.Core.Unwind;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Unwind;

/// <summary>
/// The ORC unwinder on real dumps against drgn's stack traces (ref/truth/drgn.json: drgn 0.0.22 unwinds with the
/// same ORC data): every task, the running ones from their CPU's saved registers (NT_PRSTATUS of the ELF dump),
/// the others from their switch frame; the frames (pc and stack pointer, inlined calls folded) must be drgn's.
/// drgn 0.0.22 cannot read the v6.4+ ORC layout ("unknown ORC entry type"), so on 6.12 there is no drgn stack to
/// compare with: those runs check that the kernel and module tables decode and that every task's walk ends
/// cleanly (the bt reference family and the guests' own call traces come with the bt command, issue 5).
/// </summary>
public sealed class OrcTruthTests
{
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Every_task_unwinds_to_drgn_s_frames(string runId)
    {
        var run = CiRuns.Get(runId);
        var truth = run.LoadTruth()!;
        foreach (var symbols in new[] { SymbolSource.Vmlinux, SymbolSource.DumpOnly })
        {
            using var kdx = KdxSession.Open(run, "elf", symbols);
            var program = kdx.Session.Program;
            var orc = KernelOrc.Of(program);
            orc.Kernel.ShouldNotBeNull();
            orc.Kernel!.Count.ShouldBeGreaterThan(100_000);
            int compared = 0, complete = 0;
            var failures = new List<string>();
            var incomplete = new List<string>();
            var noData = new List<int>();
            foreach (var task in truth.Tasks)
            {
                UnwindResult result;
                bool saved = false;
                if (task.CurrentOfCpu is int cpu && program.Dump.Cpus.FirstOrDefault(c => c.Cpu == cpu)?.Registers is { } regs)
                {
                    result = orc.Unwinder().Unwind(regs.Values[..21]);
                    saved = true;
                }
                else
                {
                    result = orc.UnwindSleeping(task.Address);
                }

                if (symbols == SymbolSource.DumpOnly && saved && result is { End: UnwindEnd.NoUnwindData, Frames.Count: 1 }
                    && orc.Kernel.TryFind(result.Frames[0].Ip, out var first) && first.Type == OrcType.Undefined)
                {
                    // the panic CPU saved its registers in __crash_kexec, which the Debian kernels' ORC tables leave
                    // undefined; with the vmlinux its .debug_frame covers it (and the walk must then be drgn's),
                    // without it the walk cannot start: Kdx says so rather than guess
                    noData.Add(task.Pid);
                    continue;
                }

                complete += result.End == UnwindEnd.Complete ? 1 : 0;
                if (result.End != UnwindEnd.Complete)
                {
                    incomplete.Add($"pid {task.Pid} {task.Comm} {result.End} at {result.Frames[^1].Ip:x} after {result.Frames.Count} frames");
                }

                if (task.StackTrace is not { } expected)
                {
                    continue;
                }

                var want = expected.Where(f => !f.Inline).Select(f => $"{f.Pc:x}/{f.Sp:x}").ToList();
                var got = result.Frames.Select(f => $"{f.Ip:x}/{f.Sp:x}").ToList();
                if (!got.SequenceEqual(want))
                {
                    failures.Add($"{run} {symbols} pid {task.Pid} ({task.Comm}): drgn [{string.Join(' ', want)}]\n   kdx [{string.Join(' ', got)}] ({result.End})");
                }

                compared++;
            }

            failures.ShouldBeEmpty(string.Join("\n", failures.Take(5)));
            if (run.Kernel.StartsWith("6.1.", StringComparison.Ordinal))
            {
                // drgn cannot unwind a task that panicked in an interrupt ("program counter is not known")
                compared.ShouldBeGreaterThanOrEqualTo(truth.Tasks.Count - noData.Count - 1, "drgn unwound the tasks of 6.1: " + string.Join(", ", truth.Tasks.Where(t => t.StackTrace is null).Select(t => $"{t.Pid} {t.StackTraceError}")));
            }

            noData.Count.ShouldBeLessThanOrEqualTo(1, "only the panic CPU's saved state sits in undefined code");
            complete.ShouldBe(truth.Tasks.Count - noData.Count, $"{run} {symbols}: every walk reaches the end of its stack: " + string.Join("; ", incomplete));
        }
    }
}
