using System.Globalization;
using Kdx.Vmcore.Tests.Memory;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Tasks;

/// <summary>
/// <c>ps</c> on real dumps. crash 8.0.2 sees only the active tasks of these kernels (its PID hash walk fails
/// on 6.1 and it cannot open 6.12), so the task set is checked against drgn 0.0.22's task list of the
/// unfiltered in-guest ELF dump (pid, comm, state letter; drgn lists no idle tasks: Kdx adds one per CPU), on
/// every format, with and without the vmlinux. crash's lines for the active tasks are checked column by
/// column except two where crash is wrong: PPID (crash prints -1: it never found the parents) and RSS/%MEM
/// (crash adds only file and anonymous pages; the kernel's get_mm_rss, which Kdx follows, also counts shmem
/// pages since v4.5, and this guest runs from an initramfs, so its programs are shmem pages). The parents
/// are checked against the guest's own ps instead.
/// </summary>
public sealed class PsReferenceTests
{
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Every_task_drgn_found_is_listed_with_its_command_and_state_on_every_format(string runId)
    {
        var run = CiRuns.Get(runId);
        var truth = DrgnTasks(run.Formats["elf"].DrgnTasksPath!);
        truth.Count.ShouldBeGreaterThan(60);
        var failures = new List<string>();
        int exact = 0;
        foreach (var format in run.Formats.Values)
        {
            foreach (var symbols in new[] { SymbolSource.Vmlinux, SymbolSource.DumpOnly })
            {
                using var kdx = KdxSession.Open(run, format.Name, symbols);
                string output = kdx.Run("ps");
                var (tasks, problems) = Parse(output);
                int cpus = kdx.Program.CpuCount;
                tasks.Count(t => t.Pid == 0).ShouldBe(cpus, $"{format} {symbols}: one idle task per CPU");
                var listed = tasks.Where(t => t.Pid != 0).Select(t => (t.Pid, t.Comm.Trim('[', ']'), t.State)).ToHashSet();
                if (problems.Count == 0)
                {
                    if (!listed.SetEquals(truth))
                    {
                        failures.Add($"{run} {format} {symbols}: differs from drgn: missing {string.Join(", ", truth.Except(listed).Take(5))}; extra {string.Join(", ", listed.Except(truth).Take(5))}");
                    }

                    exact++;
                }
                else
                {
                    // A damaged dump (makedumpfile 1.7.2 drops live slab pages of 6.12 at -d 31): what is
                    // listed is right, and each unreadable task_struct or link is reported.
                    listed.Except(truth).ShouldBeEmpty($"{format} {symbols}");
                    problems.ShouldContain(p => p.Contains("excluded by makedumpfile", StringComparison.Ordinal) || p.Contains("cannot read", StringComparison.Ordinal), $"{format} {symbols}");
                    format.Name.ShouldBeOneOf([.. CiRuns.Level31Formats], $"{format}: problems on a dump that should be whole: {string.Join("; ", problems.Take(3))}");
                }
            }
        }

        exact.ShouldBeGreaterThanOrEqualTo(run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) ? 22 : 12);
        failures.ShouldBeEmpty(string.Join("\n", failures));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Active_tasks_match_crash_except_where_crash_is_wrong(string runId)
    {
        var run = CiRuns.Get(runId);
        var failures = new List<string>();
        int compared = 0;
        foreach (var format in run.Formats.Values)
        {
            if (format.LoadCrashReference() is not { Opens: true, Mode: "default" } crash || crash.Output("ps") is not { } crashPs)
            {
                continue;
            }

            using var kdx = KdxSession.Open(run, format.Name);
            var (mine, _) = Parse(kdx.Run("ps"));
            foreach (var c in Parse(crashPs).Tasks)
            {
                var k = mine.FirstOrDefault(t => t.Address == c.Address);
                string expected = $"{c.Active} {c.Pid} {c.Cpu} {c.Address} {c.State} {c.Vsz} {c.Comm}";
                string actual = k is null ? "(not listed)" : $"{k.Active} {k.Pid} {k.Cpu} {k.Address} {k.State} {k.Vsz} {k.Comm}";
                if (expected != actual)
                {
                    failures.Add($"{run} {format}: crash {expected}, kdx {actual}");
                }

                compared++;
            }
        }

        if (run.Kernel.StartsWith("6.1.", StringComparison.Ordinal))
        {
            compared.ShouldBeGreaterThanOrEqualTo(11 * 4);
        }

        failures.ShouldBeEmpty(string.Join("\n", failures.Take(10)));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Parents_are_those_the_guest_s_own_ps_showed(string runId)
    {
        var run = CiRuns.Get(runId);
        using var kdx = KdxSession.Open(run, "elf", SymbolSource.DumpOnly);
        var (tasks, _) = Parse(kdx.Run("ps"));
        int compared = 0;
        foreach (var p in run.LoadGuestPs())
        {
            // busybox ps ran a few seconds before the crash: compare the tasks that still had the same command.
            var k = tasks.FirstOrDefault(t => t.Pid == p.Pid && t.Comm.Trim('[', ']') == p.Comm);
            if (k is null)
            {
                continue;
            }

            k.Ppid.ShouldBe(p.Ppid, $"pid {p.Pid} {p.Comm}");
            compared++;
        }

        compared.ShouldBeGreaterThan(50);
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Filters_select_kernel_threads_user_tasks_leaders_active_tasks_and_named_tasks(string runId)
    {
        var run = CiRuns.Get(runId);
        using var kdx = KdxSession.Open(run, "elf", SymbolSource.DumpOnly);
        var all = Parse(kdx.Run("ps")).Tasks;
        var kernel = Parse(kdx.Run("ps -k")).Tasks;
        var user = Parse(kdx.Run("ps -u")).Tasks;
        kernel.ShouldAllBe(t => t.Comm.StartsWith('['));
        user.ShouldAllBe(t => !t.Comm.StartsWith('['));
        (kernel.Count + user.Count).ShouldBe(all.Count);
        user.ShouldContain(t => t.Pid == 1 && t.Comm == "init");
        Parse(kdx.Run("ps -A")).Tasks.ShouldAllBe(t => t.Active);
        Parse(kdx.Run("ps -A")).Tasks.Count.ShouldBe(kdx.Program.CpuCount);
        Parse(kdx.Run("ps -G")).Tasks.Count.ShouldBe(kdx.Session.Tasks.Tasks.Count(t => t.IsGroupLeader));
        Parse(kdx.Run("ps -G")).Tasks.Count.ShouldBeLessThanOrEqualTo(all.Count);
        var init = Parse(kdx.Run("ps 1")).Tasks.ShouldHaveSingleItem();
        init.Comm.ShouldBe("init");
        Parse(kdx.Run($"ps {init.Address}")).Tasks.ShouldHaveSingleItem().Pid.ShouldBe(1);
        // The init script's subshells are also called init.
        var named = Parse(kdx.Run("ps init kthreadd")).Tasks;
        named.Select(t => t.Pid).ShouldContain(1);
        named.Select(t => t.Pid).ShouldContain(2);
        named.ShouldAllBe(t => t.Comm == "init" || t.Comm == "[kthreadd]");
        named.Count.ShouldBe(all.Count(t => t.Comm == "init" || t.Comm == "[kthreadd]"));
        Parse(kdx.Run("ps 2 1")).Tasks.Select(t => t.Pid).ShouldBe([1, 2]);

        // 'regex': the commands it matches anywhere (swapper/N, kswapd0); crash's lines are among them on 6.1
        var matched = Parse(kdx.Run("ps 'sw.*'")).Tasks;
        matched.Select(t => t.Pid).ShouldBe(all.Where(t => t.Comm.Contains("sw", StringComparison.Ordinal)).Select(t => t.Pid));
        matched.ShouldContain(t => t.Comm == "[kswapd0]");
        if (run.Reference(ReferenceFamilies.State, "elf")?.Find("ps 'sw.*'") is { Status: "ok", CrashFailed: null, Output: { } crashOut })
        {
            var crashTasks = Parse(crashOut).Tasks;
            crashTasks.ShouldNotBeEmpty();
            crashTasks.ShouldAllBe(c => matched.Any(m => m.Pid == c.Pid && m.Address == c.Address && m.Comm == c.Comm));
        }

        kdx.Run("ps '('").ShouldStartWith("ps: invalid regular expression '(':");
    }

    private sealed record PsLine(bool Active, int Pid, int Ppid, int Cpu, string Address, string State, long Vsz, string Comm);

    private static (List<PsLine> Tasks, List<string> Problems) Parse(string output)
    {
        var tasks = new List<PsLine>();
        var problems = new List<string>();
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("ps: ", StringComparison.Ordinal))
            {
                problems.Add(line);
                continue;
            }

            var f = line.Length > 1 ? line[1..].Split(' ', 9, StringSplitOptions.RemoveEmptyEntries) : [];
            if (f.Length < 9 || !int.TryParse(f[0], CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            tasks.Add(new PsLine(line[0] == '>', pid, int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture), f[3], f[4],
                long.Parse(f[6], CultureInfo.InvariantCulture), f[8].Trim()));
        }

        return (tasks, problems);
    }

    private static HashSet<(int Pid, string Comm, string State)> DrgnTasks(string path)
    {
        var state = new Dictionary<string, string> { ["R"] = "RU", ["S"] = "IN", ["D"] = "UN", ["I"] = "ID", ["T"] = "ST", ["t"] = "TR", ["Z"] = "ZO", ["X"] = "DE" };
        var set = new HashSet<(int, string, string)>();
        foreach (var line in File.ReadLines(path).TakeWhile(l => !l.StartsWith("DRGN-TASKS", StringComparison.Ordinal)))
        {
            // "PID COMM STATE": the command may hold spaces.
            int first = line.IndexOf(' ', StringComparison.Ordinal);
            int last = line.LastIndexOf(' ');
            if (first < 0 || last <= first)
            {
                continue;
            }

            set.Add((int.Parse(line[..first], CultureInfo.InvariantCulture), line[(first + 1)..last], state[line[(last + 1)..]]));
        }

        return set;
    }
}
