using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux.Sched;

namespace Kdx.Commands.Sched;

/// <summary><c>runq</c>: each CPU's run queue, or its clock and the running task's times.</summary>
public sealed class RunqCommand : Command
{
    private static readonly OptionParser Options = new("runq", "tTmg", "c");

    /// <inheritdoc/>
    public override string Name => "runq";

    /// <inheritdoc/>
    public override string Summary => "run queue";

    /// <inheritdoc/>
    public override string Usage => "runq [-t] [-T] [-m] [-g] [-c cpu(s)]";

    /// <inheritdoc/>
    public override string Help => """
        Shows, per CPU, the task it was running and the tasks waiting for it: the RT tasks on
        their priority lists (RT PRIO_ARRAY), the CFS tasks in the order the fair scheduler
        would pick them (CFS RB_ROOT; task groups are walked where they are queued), and any
        deadline tasks (DL RB_ROOT, shown only when some are queued). Each task shows its
        priority, PID, task_struct and command.

          -t       each CPU's run-queue clock (rq.clock, ns) and when its running task last
                   started running (sched_info.last_arrival).
          -T       how far each CPU's clock lags behind the most advanced one, in seconds.
          -m       how long each CPU's running task has been running, as days hh:mm:ss.ms.
          -g       the CFS queues by task group, from root_task_group down, the running task
                   marked [CURRENT].
          -c cpus  only these CPUs ("1", "0,2", "0-3").

        Examples:
          kdx> runq
          kdx> runq -t -c 1
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var o = Options.Parse(args);
        if (o.Positionals.Count > 0)
        {
            throw new CommandException($"runq: unexpected argument: {o.Positionals[0]}");
        }

        var program = context.Session.Program;
        var cpus = o.Value("c") is { } spec ? CpuSpec.Parse(spec, program.CpuCount) : Enumerable.Range(0, program.CpuCount).ToList();
        var queues = RunQueues.Open(program);
        var view = new RunqView(context, queues);
        if (o.Has("t"))
        {
            view.Timestamps(cpus);
        }
        else if (o.Has("T"))
        {
            view.Lag();
        }
        else if (o.Has("m"))
        {
            view.RunningTimes(cpus);
        }
        else if (o.Has("g"))
        {
            view.ByTaskGroup(cpus);
        }
        else
        {
            view.Queues(cpus);
        }
    }
}

/// <summary>The output formats of <see cref="RunqCommand"/>, in crash's layout.</summary>
internal sealed class RunqView(CommandContext context, RunQueues queues)
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public void Queues(IReadOnlyList<int> cpus)
    {
        bool first = true;
        foreach (int cpu in cpus)
        {
            var rq = queues.Read(cpu);
            context.WriteLine(string.Create(Ci, $"{(first ? string.Empty : "\n")}CPU {cpu} RUNQUEUE: {rq.Address:x}"));
            first = false;
            context.WriteLine($"  CURRENT: {Task(Current(cpu))}");
            context.WriteLine(string.Create(Ci, $"  RT PRIO_ARRAY: {rq.RtArray:x}"));
            foreach (var t in rq.Rt)
            {
                context.WriteLine(string.Create(Ci, $"     [{t.Priority,3}] {Task(t.Task)}"));
            }

            if (rq.Rt.Count == 0)
            {
                context.WriteLine("     [no tasks queued]");
            }

            context.WriteLine(string.Create(Ci, $"  CFS RB_ROOT: {rq.CfsRoot:x}"));
            var cfs = rq.Cfs.Where(e => e.Task != 0).ToList();
            foreach (var e in cfs)
            {
                context.WriteLine(string.Create(Ci, $"     [{queues.Priority(e.Task),3}] {Task(e.Task)}"));
            }

            if (cfs.Count == 0)
            {
                context.WriteLine("     [no tasks queued]");
            }

            if (rq.Deadline.Count > 0)
            {
                context.WriteLine("  DL RB_ROOT:");
                foreach (ulong t in rq.Deadline)
                {
                    context.WriteLine(string.Create(Ci, $"     [{queues.Priority(t),3}] {Task(t)}"));
                }
            }

            Problems(rq.Problems);
        }
    }

    public void Timestamps(IReadOnlyList<int> cpus)
    {
        foreach (int cpu in cpus)
        {
            var rq = queues.Read(cpu);
            string clock = rq.Clock.ToString(Ci);
            context.WriteLine(string.Create(Ci, $"{(cpu < 10 ? " " : string.Empty)}CPU {cpu}: {clock}"));
            ulong current = Current(cpu);
            if (current == 0 || context.Session.Tasks.Find(current) is null)
            {
                context.WriteLine(string.Empty);
                continue;
            }

            int indent = cpu < 10 ? 8 : cpu < 100 ? 8 : 9;
            string last = queues.LastArrival(current).ToString(Ci).PadLeft(clock.Length, '0');
            context.WriteLine($"{new string(' ', indent)}{last}  {Task(current)}");
        }
    }

    public void Lag()
    {
        int cpuCount = context.Session.Program.CpuCount;
        var clocks = Enumerable.Range(0, cpuCount).Select(c => (Cpu: c, Clock: queues.Read(c).Clock)).OrderByDescending(x => x.Clock).ToList();
        foreach (var (cpu, clock) in clocks)
        {
            int pad = 2 + Digits(cpuCount) - Digits(cpu);
            double seconds = ((double)clocks[0].Clock - clock) / 1e9;
            context.WriteLine(string.Create(Ci, $"{new string(' ', pad)}CPU {cpu}: {seconds:F2} secs"));
        }
    }

    public void RunningTimes(IReadOnlyList<int> cpus)
    {
        int cpuCount = context.Session.Program.CpuCount;
        int maxIndent = cpuCount < 10 ? 1 : cpuCount < 100 ? 2 : cpuCount < 1000 ? 3 : 4;
        int? dayWidth = null;
        foreach (int cpu in cpus)
        {
            var rq = queues.Read(cpu);
            dayWidth ??= DaysWidth(rq.Clock);
            int indent = cpu < 10 ? maxIndent : cpu < 100 ? maxIndent - 1 : cpu < 1000 ? maxIndent - 2 : maxIndent - 4;
            string lead = new(' ', Math.Max(indent, 0));
            ulong current = Current(cpu);
            if (current == 0 || context.Session.Tasks.Find(current) is null)
            {
                context.WriteLine(string.Create(Ci, $"{lead}CPU {cpu}: [unknown]"));
                continue;
            }

            ulong last = queues.LastArrival(current);
            string span = Span(rq.Clock > last ? rq.Clock - last : 0);
            context.WriteLine(string.Create(Ci, $"{lead}CPU {cpu}: [{new string(' ', Math.Max(dayWidth.Value - DaysWidth(rq.Clock > last ? rq.Clock - last : 0), 0))}{span}]  {Task(current)}"));
        }
    }

    public void ByTaskGroup(IReadOnlyList<int> cpus)
    {
        var program = context.Session.Program;
        if (!program.Symbols.TryGetAddress("root_task_group", out ulong root))
        {
            throw new CommandException("runq: -g needs root_task_group (CONFIG_CGROUP_SCHED)");
        }

        bool first = true;
        foreach (int cpu in cpus)
        {
            context.WriteLine(string.Create(Ci, $"{(first ? string.Empty : "\n")}CPU {cpu}"));
            first = false;
            ulong current = Current(cpu);
            context.WriteLine($"  CURRENT: {Task(current)}");
            ulong cfsRq = queues.RootGroupCfsRq(root, cpu);
            context.WriteLine(string.Create(Ci, $"  ROOT_TASK_GROUP: {root:x}  CFS_RQ: {cfsRq:x}"));
            var problems = new List<string>();
            foreach (var e in queues.GroupView(cfsRq, current, problems))
            {
                string indent = new(' ', 2 + (3 * e.Depth) + (e.Task == 0 ? 0 : 3));
                context.WriteLine(e.Task == 0
                    ? string.Create(Ci, $"{new string(' ', 2 + (3 * e.Depth))}TASK_GROUP: {e.TaskGroup:x}  CFS_RQ: {e.CfsRq:x} ")
                    : string.Create(Ci, $"{indent}[{queues.Priority(e.Task),3}] {Task(e.Task)}{(e.IsCurrent ? " [CURRENT]" : string.Empty)}"));
            }

            Problems(problems);
        }
    }

    private static int Digits(int value) => value < 10 ? 1 : 1 + Digits(value / 10);

    private static int DaysWidth(ulong ns) => (ns / 1_000_000_000 / 86400).ToString(Ci).Length;

    private static string Span(ulong ns)
    {
        ulong ms = ns / 1_000_000;
        return string.Create(Ci, $"{ms / 86_400_000} {ms / 3_600_000 % 24:00}:{ms / 60_000 % 60:00}:{ms / 1000 % 60:00}.{ms % 1000:000}");
    }

    private ulong Current(int cpu) => cpu < context.Session.Tasks.CurrentByCpu.Count ? context.Session.Tasks.CurrentByCpu[cpu] : 0;

    private string Task(ulong task) => context.Session.Tasks.Find(task) is { } t
        ? string.Create(Ci, $"PID: {t.Pid,-5}  TASK: {task:x}  COMMAND: \"{t.Comm}\"")
        : string.Create(Ci, $"{task:x}");

    private void Problems(IReadOnlyList<string> problems)
    {
        foreach (var p in problems)
        {
            context.WriteLine($"runq: {p}");
        }
    }
}
