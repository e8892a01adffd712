namespace Kdx.Core.Linux.Tasks;

/// <summary>Where a task was found (a task may be found in several places; see <see cref="KernelTask.Sources"/>).</summary>
[Flags]
public enum TaskSources
{
    /// <summary>Not found anywhere (not used for a listed task).</summary>
    None = 0,

    /// <summary>On the process list from init_task.tasks (thread-group leaders).</summary>
    ProcessList = 1,

    /// <summary>On a thread group's list (signal->thread_head, or the older task->thread_group).</summary>
    ThreadGroup = 2,

    /// <summary>In the PID namespace's IDR (init_pid_ns.idr).</summary>
    PidIdr = 4,

    /// <summary>A CPU's idle task (rq->idle).</summary>
    Idle = 8,

    /// <summary>A CPU's current task (rq->curr) when the kernel stopped.</summary>
    Current = 16,
}

/// <summary>One task (a thread) of the crashed kernel: its struct task_struct and the fields ps needs.</summary>
public sealed record KernelTask
{
    /// <summary>The task_struct address.</summary>
    public ulong Address { get; init; }

    /// <summary>task->pid (the thread id).</summary>
    public int Pid { get; init; }

    /// <summary>task->tgid (the process id).</summary>
    public int Tgid { get; init; }

    /// <summary>The PID of task->real_parent (0 for the idle tasks and init's parent).</summary>
    public int ParentPid { get; init; }

    /// <summary>task->real_parent.</summary>
    public ulong Parent { get; init; }

    /// <summary>task->comm.</summary>
    public string Comm { get; init; } = string.Empty;

    /// <summary>task->__state (or task->state before v5.14) or-ed with task->exit_state.</summary>
    public ulong State { get; init; }

    /// <summary>task->flags (PF_*).</summary>
    public uint Flags { get; init; }

    /// <summary>The CPU the task last ran on.</summary>
    public int Cpu { get; init; }

    /// <summary>task->mm (0 for kernel threads).</summary>
    public ulong Mm { get; init; }

    /// <summary>task->stack (the kernel stack's lowest address).</summary>
    public ulong Stack { get; init; }

    /// <summary>Where it was found.</summary>
    public TaskSources Sources { get; init; }

    /// <summary>Whether it was running on a CPU when the kernel stopped (some CPU's rq->curr).</summary>
    public bool IsActive => (Sources & TaskSources.Current) != 0;

    /// <summary>A kernel thread: PF_KTHREAD (include/linux/sched.h 0x00200000), or no mm for an idle task.</summary>
    public bool IsKernelThread => (Flags & 0x00200000) != 0 || Mm == 0;

    /// <summary>A thread-group leader (pid == tgid).</summary>
    public bool IsGroupLeader => Pid == Tgid;
}
