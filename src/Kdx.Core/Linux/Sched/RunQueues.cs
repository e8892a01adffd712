using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Sched;

/// <summary>A task queued on an RT priority list.</summary>
/// <param name="Priority">The list's index in rt_prio_array.queue[] (the task's RT priority level).</param>
/// <param name="Task">The task_struct.</param>
public sealed record RtQueuedTask(int Priority, ulong Task);

/// <summary>
/// One entry of a CFS run queue walk: a task (<see cref="Task"/> set), or the header of a task group's own
/// cfs_rq (<see cref="Task"/> 0) that the tasks after it at <see cref="Depth"/> + 1 belong to.
/// </summary>
/// <param name="Depth">Nesting: 0 for the CPU's root cfs_rq.</param>
/// <param name="Task">The task_struct, or 0 for a group header.</param>
/// <param name="CfsRq">The cfs_rq the entry is queued on (for a header: the group's own cfs_rq).</param>
/// <param name="TaskGroup">For a header, its task_group (cfs_rq.tg).</param>
/// <param name="IsCurrent">The task is the cfs_rq's running entity (kept out of the rbtree while it runs).</param>
public sealed record CfsEntry(int Depth, ulong Task, ulong CfsRq, ulong TaskGroup, bool IsCurrent);

/// <summary>One CPU's run queue (kernel/sched/sched.h struct rq): its clock and the tasks waiting on each class.</summary>
/// <param name="Cpu">The CPU.</param>
/// <param name="Address">The per-CPU struct rq (runqueues).</param>
/// <param name="Clock">rq.clock in ns.</param>
/// <param name="RtArray">rq.rt.active: the RT priority lists.</param>
/// <param name="Rt">Queued RT tasks, by priority list then list order.</param>
/// <param name="CfsRq">rq.cfs.</param>
/// <param name="CfsRoot">rq.cfs.tasks_timeline.</param>
/// <param name="Cfs">Queued CFS tasks in vruntime order (group run queues walked where their entity is).</param>
/// <param name="Deadline">Queued deadline tasks in deadline order (rq.dl.root).</param>
/// <param name="Problems">Structures that could not be walked completely.</param>
public sealed record CpuRunQueue(
    int Cpu, ulong Address, ulong Clock, ulong RtArray, IReadOnlyList<RtQueuedTask> Rt, ulong CfsRq, ulong CfsRoot,
    IReadOnlyList<CfsEntry> Cfs, IReadOnlyList<ulong> Deadline, IReadOnlyList<string> Problems);

/// <summary>
/// The scheduler's per-CPU run queues (kernel/sched/): CFS entities in the cfs_rq's rbtree (with
/// CONFIG_FAIR_GROUP_SCHED an entity may be a task group whose my_q is walked in its place), RT tasks on
/// rt_prio_array lists, deadline tasks in the dl_rq's rbtree.
/// </summary>
public sealed class RunQueues
{
    private const int MaxEntries = 1 << 20;
    private readonly IProgram _program;
    private readonly ulong _runqueues;
    private readonly StructLayout _rq;
    private readonly StructLayout _cfsRq;
    private readonly StructLayout _se;
    private readonly StructLayout _task;
    private readonly StructLayout? _rtEntity;
    private readonly StructLayout? _dlEntity;

    private RunQueues(IProgram program, ulong runqueues)
    {
        _program = program;
        _runqueues = runqueues;
        _rq = StructLayout.Find(program.Types, "rq");
        _cfsRq = StructLayout.Find(program.Types, "cfs_rq");
        _se = StructLayout.Find(program.Types, "sched_entity");
        _task = StructLayout.Find(program.Types, "task_struct");
        _rtEntity = StructLayout.TryFind(program.Types, "sched_rt_entity");
        _dlEntity = StructLayout.TryFind(program.Types, "sched_dl_entity");
    }

    /// <summary>The run queues of <paramref name="program"/>.</summary>
    public static RunQueues Open(IProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        return program.Symbols.TryGetAddress("runqueues", out ulong at)
            ? new RunQueues(program, at)
            : throw new KdxException("no symbol runqueues: the per-CPU run queues cannot be found");
    }

    /// <summary>The task's <c>prio</c>.</summary>
    public int Priority(ulong task) => _program.Memory.TryReadUInt64(task + (ulong)_task.Offset("prio"), out ulong v) ? (int)(uint)v : 0;

    /// <summary>When the task last started running: sched_info.last_arrival, in rq clock ns.</summary>
    public ulong LastArrival(ulong task) =>
        _task.TryOffset("sched_info.last_arrival") is int at && _program.Memory.TryReadUInt64(task + (ulong)at, out ulong v) ? v : 0;

    /// <summary>The root task group's cfs_rq of <paramref name="cpu"/> (root_task_group.cfs_rq[cpu]), or 0.</summary>
    public ulong RootGroupCfsRq(ulong rootTaskGroup, int cpu)
    {
        var tg = StructLayout.TryFind(_program.Types, "task_group");
        return tg?.TryOffset("cfs_rq") is int at && _program.Memory.TryReadUInt64(rootTaskGroup + (ulong)at, out ulong array)
            && _program.Memory.TryReadUInt64(array + ((ulong)cpu * 8), out ulong rq) ? rq : 0;
    }

    /// <summary>The run queue of <paramref name="cpu"/>.</summary>
    public CpuRunQueue Read(int cpu)
    {
        ulong rq = _program.PerCpuAddress(_runqueues, cpu);
        var problems = new List<string>();
        ulong clock = _program.Memory.TryReadUInt64(rq + (ulong)_rq.Offset("clock"), out ulong c) ? c : 0;
        ulong cfsRq = rq + (ulong)_rq.Offset("cfs");
        ulong rtArray = rq + (ulong)_rq.Offset("rt") + (ulong)StructLayout.Find(_program.Types, "rt_rq").Offset("active");
        var rt = RtTasks(rtArray, problems);
        var cfs = new List<CfsEntry>();
        WalkCfs(cfsRq, 0, 0, cfs, problems, new HashSet<ulong>());
        var dl = DeadlineTasks(rq, problems);
        return new CpuRunQueue(cpu, rq, clock, rtArray, rt, cfsRq, cfsRq + (ulong)_cfsRq.Offset("tasks_timeline"), cfs, dl, problems);
    }

    /// <summary>
    /// The CFS entries of a cfs_rq as a task-group view: the running entity first (its group's queue, or the
    /// current task of <paramref name="currentTask"/>), then the rbtree in order, groups as headers followed by
    /// their own entries.
    /// </summary>
    public IReadOnlyList<CfsEntry> GroupView(ulong cfsRq, ulong currentTask, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var entries = new List<CfsEntry>();
        WalkCfs(cfsRq, 0, currentTask, entries, problems, new HashSet<ulong>());
        return entries;
    }

    // kernel/sched/fair.c: the running entity is not in the tree (set_next_entity dequeues it); with group
    // scheduling an entity whose my_q is set stands for a task group's cfs_rq.
    private void WalkCfs(ulong cfsRq, int depth, ulong currentTask, List<CfsEntry> into, List<string> problems, HashSet<ulong> seen)
    {
        if (depth > 32 || !seen.Add(cfsRq))
        {
            problems.Add($"cfs_rq at {cfsRq:x}: task groups nest too deep or loop");
            return;
        }

        int? myQ = _se.TryOffset("my_q");
        ulong curr = Word(cfsRq + (ulong)_cfsRq.Offset("curr"));
        if (curr != 0 && myQ is int mq && Word(curr + (ulong)mq) is ulong group && group != 0)
        {
            Group(group, depth, currentTask, into, problems, seen);
        }
        else if (currentTask != 0 && curr != 0 && curr - (ulong)_task.Offset("se") == currentTask)
        {
            into.Add(new CfsEntry(depth, currentTask, cfsRq, 0, IsCurrent: true));
        }

        int runNode = _se.Offset("run_node");
        try
        {
            foreach (ulong node in RbNodes(cfsRq + (ulong)_cfsRq.Offset("tasks_timeline"), $"cfs_rq at {cfsRq:x}"))
            {
                ulong se = node - (ulong)runNode;
                if (myQ is int q && Word(se + (ulong)q) is ulong sub && sub != 0)
                {
                    Group(sub, depth, currentTask, into, problems, seen);
                    continue;
                }

                into.Add(new CfsEntry(depth, se - (ulong)_task.Offset("se"), cfsRq, 0, IsCurrent: false));
            }
        }
        catch (KdxException e)
        {
            problems.Add(e.Message);
        }
    }

    private void Group(ulong groupRq, int depth, ulong currentTask, List<CfsEntry> into, List<string> problems, HashSet<ulong> seen)
    {
        ulong tg = _cfsRq.TryOffset("tg") is int t ? Word(groupRq + (ulong)t) : 0;
        into.Add(new CfsEntry(depth + 1, 0, groupRq, tg, IsCurrent: false));
        WalkCfs(groupRq, depth + 1, currentTask, into, problems, seen);
    }

    private List<RtQueuedTask> RtTasks(ulong array, List<string> problems)
    {
        var result = new List<RtQueuedTask>();
        var prio = StructLayout.Find(_program.Types, "rt_prio_array");
        int queue = prio.Offset("queue");
        int lists = prio.SizeOf("queue") / 16;
        int runList = _rtEntity?.TryOffset("run_list") ?? 0;
        int rtAt = _task.TryOffset("rt") ?? 0;
        for (int i = 0; i < lists; i++)
        {
            ulong head = array + (ulong)queue + ((ulong)i * 16);
            ulong node = Word(head);
            var seen = new HashSet<ulong>();
            while (node != head)
            {
                if (node == 0 || !seen.Add(node) || seen.Count > MaxEntries)
                {
                    problems.Add($"rt_prio_array.queue[{i}] at {head:x}: the list is broken at {node:x}");
                    break;
                }

                // With CONFIG_RT_GROUP_SCHED an entity may be a group (my_q); Debian's kernels do not have it.
                result.Add(new RtQueuedTask(i, node - (ulong)runList - (ulong)rtAt));
                if (!_program.Memory.TryReadUInt64(node, out node))
                {
                    problems.Add($"rt_prio_array.queue[{i}] at {head:x}: unreadable list_head");
                    break;
                }
            }
        }

        return result;
    }

    private List<ulong> DeadlineTasks(ulong rq, List<string> problems)
    {
        var result = new List<ulong>();
        var dlRq = StructLayout.TryFind(_program.Types, "dl_rq");
        if (dlRq is null || _dlEntity is null || _rq.TryOffset("dl") is not int dl || _task.TryOffset("dl") is not int taskDl)
        {
            return result;
        }

        try
        {
            foreach (ulong node in RbNodes(rq + (ulong)dl + (ulong)dlRq.Offset("root"), $"dl_rq at {rq + (ulong)dl:x}"))
            {
                result.Add(node - (ulong)_dlEntity.Offset("rb_node") - (ulong)taskDl);
            }
        }
        catch (KdxException e)
        {
            problems.Add(e.Message);
        }

        return result;
    }

    private ulong Word(ulong at) => _program.Memory.TryReadUInt64(at, out ulong v) ? v : 0;

    // In-order nodes of an rb_root (or rb_root_cached, whose rb_root comes first).
    private IEnumerable<ulong> RbNodes(ulong root, string where)
    {
        var stack = new Stack<ulong>();
        var seen = new HashSet<ulong>();
        ulong node = Word(root);
        while (node != 0 || stack.Count > 0)
        {
            while (node != 0)
            {
                if (!seen.Add(node) || stack.Count > 128 || seen.Count > MaxEntries)
                {
                    throw new CorruptStructureException(where, node, "the rbtree loops or is too deep");
                }

                stack.Push(node);
                node = Word(node + 16);
            }

            node = stack.Pop();
            yield return node;
            node = Word(node + 8);
        }
    }
}
