using System.Buffers.Binary;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Tasks;

/// <summary>
/// Reads task_structs by offsets looked up once (so 100k tasks cost 100k small reads, not type lookups).
/// Members that moved between kernels are found by name: task->__state (v5.14, commit 2f064a59a11f
/// "sched: Change task_struct::state") or task->state; the CPU in task->cpu (v5.16, commit bcf9033e5449
/// "sched: move CPU field back into thread_info if THREAD_INFO_IN_TASK" keeps it in thread_info on x86_64)
/// or task->thread_info.cpu.
/// </summary>
internal sealed class TaskReader
{
    private readonly IMemoryReader _memory;
    private readonly StructLayout _task;
    private readonly int _pid;
    private readonly int _tgid;
    private readonly int _comm;
    private readonly int _commSize;
    private readonly int _state;
    private readonly int _stateSize;
    private readonly int? _exitState;
    private readonly int _flags;
    private readonly int _cpu;
    private readonly int _realParent;
    private readonly int _mm;
    private readonly int? _stack;
    private readonly int _span;

    public TaskReader(IProgram program)
    {
        _memory = program.Memory;
        _task = StructLayout.Find(program.Types, "task_struct");
        _pid = _task.Offset("pid");
        _tgid = _task.Offset("tgid");
        _comm = _task.Offset("comm");
        _commSize = _task.SizeOf("comm");
        string state = _task.Has("__state") ? "__state" : "state";
        _state = _task.Offset(state);
        _stateSize = _task.SizeOf(state);
        _exitState = _task.TryOffset("exit_state");
        _flags = _task.Offset("flags");
        _cpu = _task.TryOffset("thread_info.cpu") ?? _task.TryOffset("cpu") ?? throw new KdxException("struct task_struct has neither thread_info.cpu nor cpu");
        _realParent = _task.Offset("real_parent");
        _mm = _task.Offset("mm");
        _stack = _task.TryOffset("stack");
        Tasks = _task.Offset("tasks");
        ThreadNode = _task.TryOffset("thread_node");
        ThreadGroup = _task.TryOffset("thread_group");
        Signal = _task.Offset("signal");
        int[] ends = [_pid + 4, _tgid + 4, _comm + _commSize, _state + _stateSize, (_exitState ?? 0) + 4, _flags + 4, _cpu + 4, _realParent + 8, _mm + 8, (_stack ?? 0) + 8];
        _span = ends.Max();
    }

    /// <summary>offsetof(struct task_struct, tasks).</summary>
    public int Tasks { get; }

    /// <summary>offsetof(struct task_struct, thread_node) (v3.14+), or null.</summary>
    public int? ThreadNode { get; }

    /// <summary>offsetof(struct task_struct, thread_group) (before v6.7), or null.</summary>
    public int? ThreadGroup { get; }

    /// <summary>offsetof(struct task_struct, signal).</summary>
    public int Signal { get; }

    /// <summary>Reads the task at <paramref name="address"/> (throws <see cref="MemoryFaultException"/>).</summary>
    public KernelTask Read(ulong address, TaskSources sources)
    {
        var b = new byte[_span];
        _memory.ReadExactly(address, b, $"task_struct at {address:x}");
        ulong parent = U64(b, _realParent);
        int pid = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(_pid));
        int parentPid = 0;

        // The idle tasks of the other CPUs were forked by init (fork_idle from smp_init); like crash, an
        // idle task's parent is shown as 0.
        if (pid != 0 && parent != 0 && parent != address && _memory.TryReadUInt64(parent + (ulong)_pid, out ulong pp))
        {
            parentPid = (int)(uint)pp;
        }

        ulong state = _stateSize == 8 ? U64(b, _state) : BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(_state));
        if (_exitState is int e)
        {
            state |= BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(e));
        }

        return new KernelTask
        {
            Address = address,
            Pid = pid,
            Tgid = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(_tgid)),
            Parent = parent,
            ParentPid = parentPid,
            Comm = KernelStrings.FromBuffer(b.AsSpan(_comm, _commSize)),
            State = state,
            Flags = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(_flags)),
            Cpu = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(_cpu)),
            Mm = U64(b, _mm),
            Stack = _stack is int s ? U64(b, s) : 0,
            Sources = sources,
        };
    }

    private static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at));
}
