using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Tasks;

/// <summary>How a thread group handles one signal: sighand->action[signal - 1] (struct k_sigaction).</summary>
/// <param name="Signal">The signal number, from 1.</param>
/// <param name="Address">The struct k_sigaction.</param>
/// <param name="Handler">sa_handler: 0 SIG_DFL, 1 SIG_IGN, ~0 SIG_ERR, else a user address.</param>
/// <param name="Mask">sa_mask (the first 64 signals).</param>
/// <param name="Flags">sa_flags (SA_*).</param>
public sealed record SignalAction(int Signal, ulong Address, ulong Handler, ulong Mask, ulong Flags);

/// <summary>A signal waiting in a pending queue (struct sigqueue).</summary>
/// <param name="Signal">info.si_signo.</param>
/// <param name="Info">The address of its siginfo.</param>
public sealed record QueuedSignal(int Signal, ulong Info);

/// <summary>
/// A task's signal state: its thread group's dispositions (task->sighand->action[]) and shared pending set
/// (task->signal->shared_pending), and its own blocked and pending sets (task->blocked, task->pending).
/// </summary>
public sealed class TaskSignals
{
    /// <summary>task->signal.</summary>
    public ulong SignalStruct { get; private init; }

    /// <summary>signal->nr_threads.</summary>
    public int Threads { get; private init; }

    /// <summary>The dispositions of signals 1 to _NSIG (empty without sighand).</summary>
    public IReadOnlyList<SignalAction> Actions { get; private init; } = [];

    /// <summary>TIF_SIGPENDING in thread_info.flags (bit 2 on x86, arch/x86/include/asm/thread_info.h).</summary>
    public bool SigPending { get; private init; }

    /// <summary>task->blocked.</summary>
    public ulong Blocked { get; private init; }

    /// <summary>task->pending.signal.</summary>
    public ulong Pending { get; private init; }

    /// <summary>task->pending.list.</summary>
    public IReadOnlyList<QueuedSignal> PendingQueue { get; private init; } = [];

    /// <summary>signal->shared_pending.signal.</summary>
    public ulong SharedPending { get; private init; }

    /// <summary>signal->shared_pending.list.</summary>
    public IReadOnlyList<QueuedSignal> SharedQueue { get; private init; } = [];

    /// <summary>What could not be read.</summary>
    public IReadOnlyList<string> Problems { get; private init; } = [];

    /// <summary>Reads the signal state of <paramref name="task"/>.</summary>
    public static TaskSignals Read(IProgram program, KernelTask task, WalkLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(task);
        limits ??= WalkLimits.Default;
        var memory = program.Memory;
        var problems = new List<string>();
        var t = StructLayout.Find(program.Types, "task_struct");
        var sig = StructLayout.Find(program.Types, "signal_struct");
        var pendingLayout = StructLayout.Find(program.Types, "sigpending");
        var queue = StructLayout.Find(program.Types, "sigqueue");
        int pendingSignal = pendingLayout.Offset("signal");
        int pendingList = pendingLayout.Offset("list");

        ulong signal = memory.TryReadUInt64(task.Address + (ulong)t.Offset("signal"), out ulong s) ? s : 0;
        int threads = 0;
        if (signal != 0)
        {
            if (memory.TryReadUInt32(signal + (ulong)sig.Offset("nr_threads"), out uint n))
            {
                threads = (int)n;
            }
            else
            {
                problems.Add($"signal_struct {signal:x}: unreadable (NR_THREADS and the shared pending signals are not known)");
            }
        }

        var actions = new List<SignalAction>();
        if (memory.TryReadUInt64(task.Address + (ulong)t.Offset("sighand"), out ulong sighand) && sighand != 0)
        {
            var hand = StructLayout.Find(program.Types, "sighand_struct");
            var action = StructLayout.Find(program.Types, "k_sigaction");
            int count = hand.SizeOf("action") / action.Size;
            ulong first = sighand + (ulong)hand.Offset("action");
            for (int i = 0; i < count; i++)
            {
                ulong at = first + (ulong)(i * action.Size);
                if (memory.TryReadUInt64(at + (ulong)action.Offset("sa.sa_handler"), out ulong handler) &&
                    memory.TryReadUInt64(at + (ulong)action.Offset("sa.sa_flags"), out ulong flags) &&
                    memory.TryReadUInt64(at + (ulong)action.Offset("sa.sa_mask"), out ulong mask))
                {
                    actions.Add(new SignalAction(i + 1, at, handler, mask, flags));
                }
                else
                {
                    problems.Add($"sighand_struct {sighand:x}: action[{i}] at {at:x} is unreadable");
                }
            }
        }

        ulong? ti = ThreadInfo.AddressOf(program, task);
        var tiLayout = StructLayout.TryFind(program.Types, "thread_info");
        bool sigPending = ti is ulong tia && tiLayout is not null && memory.TryReadUInt64(tia + (ulong)tiLayout.Offset("flags"), out ulong tiFlags) && (tiFlags & 4) != 0;

        ulong pending = task.Address + (ulong)t.Offset("pending");
        ulong shared = signal + (ulong)sig.Offset("shared_pending");
        return new TaskSignals
        {
            SignalStruct = signal,
            Threads = threads,
            Actions = actions,
            SigPending = sigPending,
            Blocked = memory.TryReadUInt64(task.Address + (ulong)t.Offset("blocked"), out ulong b) ? b : 0,
            Pending = memory.TryReadUInt64(pending + (ulong)pendingSignal, out ulong p) ? p : 0,
            PendingQueue = Queue(program, pending + (ulong)pendingList, queue, problems, limits),
            SharedPending = signal != 0 && memory.TryReadUInt64(shared + (ulong)pendingSignal, out ulong sp) ? sp : 0,
            SharedQueue = signal != 0 ? Queue(program, shared + (ulong)pendingList, queue, problems, limits) : [],
            Problems = problems,
        };
    }

    // struct sigpending.list links struct sigqueue through sigqueue.list.
    private static List<QueuedSignal> Queue(IProgram program, ulong head, StructLayout queue, List<string> problems, WalkLimits limits)
    {
        var result = new List<QueuedSignal>();
        int list = queue.Offset("list");
        int info = queue.Offset("info");
        int signo = info + queue.Offset("info.si_signo") - queue.Offset("info");
        var seen = new HashSet<ulong>();
        ulong node = head;
        while (program.Memory.TryReadUInt64(node, out ulong next) && next != head)
        {
            if (next == 0 || !seen.Add(next) || seen.Count > limits.MaxEntries)
            {
                problems.Add($"signal queue at {head:x}: a {(next == 0 ? "NULL" : "looping")} link at {node:x}; the walk stops there");
                return result;
            }

            ulong entry = next - (ulong)list;
            int signal = program.Memory.TryReadUInt32(entry + (ulong)signo, out uint v) ? (int)v : 0;
            result.Add(new QueuedSignal(signal, entry + (ulong)info));
            node = next;
        }

        return result;
    }
}
