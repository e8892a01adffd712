using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux.Tasks;

/// <summary>
/// Every task of the crashed kernel, found from every place the kernel keeps them and cross-checked: the
/// process list (init_task.tasks), each process's thread list, the PID IDR of the initial namespace, and
/// each CPU's idle and current task (runqueues). A task found in one place only is still listed; the
/// disagreements are reported in <see cref="Problems"/>, never fatal.
/// </summary>
public sealed class TaskList
{
    private readonly List<KernelTask> _tasks;

    private TaskList(List<KernelTask> tasks, List<string> problems, TaskStates states, IReadOnlyList<ulong> currents)
    {
        _tasks = tasks;
        Problems = problems;
        States = states;
        CurrentByCpu = currents;
    }

    /// <summary>The tasks, sorted as crash's ps: by PID, the idle tasks by CPU.</summary>
    public IReadOnlyList<KernelTask> Tasks => _tasks;

    /// <summary>What did not agree or could not be read.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>The kernel's task state bits.</summary>
    public TaskStates States { get; }

    /// <summary>Each CPU's current task (0 when unknown).</summary>
    public IReadOnlyList<ulong> CurrentByCpu { get; }

    /// <summary>The task at a task_struct address, or null.</summary>
    public KernelTask? Find(ulong address) => _tasks.FirstOrDefault(t => t.Address == address);

    /// <summary>The tasks with PID <paramref name="pid"/>: one, or one per CPU for PID 0 (the idle tasks), or none.</summary>
    public IReadOnlyList<KernelTask> WithPid(long pid) => [.. _tasks.Where(t => t.Pid == pid)];

    /// <summary>The task <paramref name="cpu"/> was running when the kernel stopped, or null when unknown.</summary>
    public KernelTask? ActiveOn(int cpu) =>
        cpu >= 0 && cpu < CurrentByCpu.Count && CurrentByCpu[cpu] != 0 ? Find(CurrentByCpu[cpu]) : null;

    /// <summary>
    /// A task list of known tasks (sorted as <see cref="Read"/> sorts them), e.g. from another source or a test;
    /// <paramref name="currentByCpu"/> gives each CPU's running task (0 when unknown).
    /// </summary>
    public static TaskList Create(IEnumerable<KernelTask> tasks, TaskStates states, IReadOnlyList<ulong> currentByCpu)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var list = tasks.ToList();
        list.Sort((a, b) => a.Pid != b.Pid ? a.Pid.CompareTo(b.Pid) : a.Pid == 0 ? a.Cpu.CompareTo(b.Cpu) : a.Address.CompareTo(b.Address));
        return new TaskList(list, [], states, currentByCpu);
    }

    /// <summary>Reads the task list (one pass over each source; nothing else of the dump is touched).</summary>
    public static TaskList Read(IProgram program, WalkLimits? limits = null)
    {
        limits ??= WalkLimits.Default;
        var problems = new List<string>();
        var reader = new TaskReader(program);
        var found = new Dictionary<ulong, TaskSources>();
        var order = new List<ulong>();

        void Add(ulong task, TaskSources source)
        {
            if (task == 0)
            {
                return;
            }

            if (found.TryGetValue(task, out var s))
            {
                found[task] = s | source;
            }
            else
            {
                found[task] = source;
                order.Add(task);
            }
        }

        ulong initTask = program.Symbols.TryGetAddress("init_task", out ulong it) ? it : throw new KdxException("the kernel has no init_task symbol");
        var leaders = new List<ulong>();
        int before = problems.Count;
        foreach (ulong task in WalkList(program.Memory, initTask + (ulong)reader.Tasks, reader.Tasks, "init_task.tasks", limits, problems))
        {
            leaders.Add(task);
            Add(task, TaskSources.ProcessList);
        }

        foreach (ulong leader in leaders)
        {
            foreach (ulong thread in Threads(program, reader, leader, limits, problems))
            {
                Add(thread, TaskSources.ThreadGroup);
            }
        }

        bool listsWhole = problems.Count == before;
        before = problems.Count;
        foreach (ulong task in PidIdr(program, problems, limits))
        {
            Add(task, TaskSources.PidIdr);
        }

        bool idrWhole = problems.Count == before;

        var currents = new ulong[Math.Max(program.CpuCount, 0)];
        PerCpu(program, problems, (cpu, curr, idle) =>
        {
            Add(idle, TaskSources.Idle);
            Add(curr, TaskSources.Current);
            currents[cpu] = curr;
        });

        var tasks = new List<KernelTask>(order.Count);
        foreach (ulong address in order)
        {
            try
            {
                tasks.Add(reader.Read(address, found[address]));
            }
            catch (KdxException e)
            {
                problems.Add($"task {address:x}: {e.Message}");
            }
        }

        CrossCheck(tasks, problems, listsWhole, idrWhole);
        tasks.Sort((a, b) => a.Pid != b.Pid ? a.Pid.CompareTo(b.Pid) : a.Pid == 0 ? a.Cpu.CompareTo(b.Cpu) : a.Address.CompareTo(b.Address));
        return new TaskList(tasks, problems, TaskStates.Read(program), currents);
    }

    // A task on the lists but not in the PID IDR has exited (or the IDR is damaged); a task in the IDR
    // but on no list is what the IDR is there to catch. A source that could not be read whole proves nothing.
    private static void CrossCheck(List<KernelTask> tasks, List<string> problems, bool listsWhole, bool idrWhole)
    {
        foreach (var t in tasks)
        {
            bool idle = (t.Sources & TaskSources.Idle) != 0 || (t.Pid == 0 && (t.Sources & TaskSources.Current) != 0);
            if (!idle && idrWhole && (t.Sources & TaskSources.PidIdr) == 0)
            {
                problems.Add($"task {t.Address:x} (pid {t.Pid}, {t.Comm}) is not in the PID IDR");
            }

            if (!idle && listsWhole && (t.Sources & TaskSources.PidIdr) != 0 && (t.Sources & (TaskSources.ProcessList | TaskSources.ThreadGroup)) == 0)
            {
                problems.Add($"task {t.Address:x} (pid {t.Pid}, {t.Comm}) is in the PID IDR but on no task list");
            }
        }
    }

    private static List<ulong> Threads(IProgram program, TaskReader reader, ulong leader, WalkLimits limits, List<string> problems)
    {
        if (reader.ThreadNode is int node)
        {
            // v3.14+ (commit 0c740d0afc3b "introduce for_each_thread()"): signal->thread_head links thread_node.
            if (!program.Memory.TryReadUInt64(leader + (ulong)reader.Signal, out ulong signal) || signal == 0)
            {
                return [];
            }

            var signalLayout = StructLayout.Find(program.Types, "signal_struct");
            ulong head = signal + (ulong)signalLayout.Offset("thread_head");
            return WalkList(program.Memory, head, node, $"thread list of task {leader:x}", limits, problems);
        }

        if (reader.ThreadGroup is int group)
        {
            // The older circular list through every thread, the leader included.
            return WalkList(program.Memory, leader + (ulong)group, group, $"thread_group of task {leader:x}", limits, problems, includeHead: leader);
        }

        return [];
    }

    /// <summary>
    /// The entries of a circular list_head list: each entry's address is its node minus <paramref name="offset"/>.
    /// A cycle that does not return to the head, or an unreadable link, ends the walk with a problem.
    /// </summary>
    private static List<ulong> WalkList(IMemoryReader memory, ulong head, int offset, string what, WalkLimits limits, List<string> problems, ulong includeHead = 0)
    {
        var seen = new HashSet<ulong> { head };
        var result = new List<ulong>();
        if (includeHead != 0)
        {
            result.Add(includeHead);
        }

        ulong node = head;
        while (true)
        {
            if (!memory.TryReadUInt64(node, out ulong next))
            {
                problems.Add($"{what}: cannot read the link at {node:x}; the walk stops there");
                break;
            }

            if (next == head)
            {
                break;
            }

            if (next == 0 || !seen.Add(next))
            {
                problems.Add($"{what}: {(next == 0 ? "a NULL" : "a looping")} link at {node:x} (to {next:x}); the walk stops there");
                break;
            }

            if (result.Count >= limits.MaxEntries)
            {
                problems.Add($"{what}: more than {limits.MaxEntries} entries; the walk stops");
                break;
            }

            result.Add(next - (ulong)offset);
            node = next;
        }

        return result;
    }

    // include/linux/pid.h: struct pid's tasks[PIDTYPE_PID] is an hlist of the tasks that use the pid,
    // linked through task->pid_links[PIDTYPE_PID] (v4.19, commit 2c4704756cab "pids: Move the pgrp and
    // session pid pointers from task_struct to signal_struct"; before: task->pids[].node).
    private static List<ulong> PidIdr(IProgram program, List<string> problems, WalkLimits limits)
    {
        var result = new List<ulong>();
        var nsType = program.Types.FindType("pid_namespace", TypeKind.Struct);
        var pid = StructLayout.TryFind(program.Types, "pid");
        var task = StructLayout.TryFind(program.Types, "task_struct");
        if (nsType is null || pid is null || task is null || !program.Symbols.TryGetAddress("init_pid_ns", out ulong ns) || task.TryOffset("pid_links") is not int links)
        {
            problems.Add("the PID IDR cannot be read (no init_pid_ns, struct pid or task_struct.pid_links): tasks come from the lists only");
            return result;
        }

        int tasks = pid.Offset("tasks");
        try
        {
            var idr = KObject.FromAddress(program, nsType, ns)["idr"];
            foreach (var (_, entry) in XArray.Entries(idr, limits))
            {
                if (!program.Memory.TryReadUInt64(entry + (ulong)tasks, out ulong first))
                {
                    problems.Add($"init_pid_ns.idr: cannot read struct pid at {entry:x}");
                    continue;
                }

                if (first != 0)
                {
                    result.Add(first - (ulong)links);
                }
            }
        }
        catch (KdxException e)
        {
            problems.Add($"init_pid_ns.idr: {e.Message}");
        }

        return result;
    }

    private static void PerCpu(IProgram program, List<string> problems, Action<int, ulong, ulong> each)
    {
        var rq = StructLayout.TryFind(program.Types, "rq");
        if (rq is null || !program.Symbols.TryGetAddress("runqueues", out ulong runqueues))
        {
            problems.Add("the run queues cannot be read (no runqueues or struct rq): idle and current tasks are not known");
            return;
        }

        int curr = rq.Offset("curr");
        int idle = rq.Offset("idle");
        for (int cpu = 0; cpu < program.CpuCount; cpu++)
        {
            ulong at = program.PerCpuAddress(runqueues, cpu);
            if (program.Memory.TryReadUInt64(at + (ulong)curr, out ulong c) && program.Memory.TryReadUInt64(at + (ulong)idle, out ulong i))
            {
                each(cpu, c, i);
            }
            else
            {
                problems.Add($"runqueues of CPU {cpu} at {at:x}: unreadable");
            }
        }
    }
}
