using Kdx.Core;
using Kdx.Core.Linux.Tasks;
using Kdx.Core.Types;
using Kdx.Tests.Model;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Linux;

/// <summary>
/// A tiny kernel with task_structs on the process list, a thread list, a PID IDR (an XArray with the
/// pids in its head node) and two run queues, to check how TaskList finds and cross-checks tasks.
/// </summary>
public sealed class TaskListTests
{
    private const ulong InitTask = TestProgram.Base + 0x1000;
    private const ulong Signal = TestProgram.Base + 0x9000;
    private const ulong PidNs = TestProgram.Base + 0xa000;
    private const ulong Runqueues = TestProgram.Base + 0xb000;
    private const ulong XaNode = TestProgram.Base + 0xc000;

    // struct task_struct offsets in this fixture.
    private const int Pid = 0, Tgid = 4, State = 8, ExitState = 12, Flags = 16, Cpu = 20, Comm = 24, Parent = 40, Mm = 48, Tasks = 56, ThreadNode = 72, SignalAt = 88, PidLinks = 96, TaskFlags = 112, TaskSize = 128;

    private readonly TestProgram _p = new();

    public TaskListTests()
    {
        var p = _p;
        var ptr = KType.Pointer(p.ULong);
        var threadInfo = KType.Struct("thread_info", 8, () => [new KMember("flags", p.UInt, 0), new KMember("cpu", p.UInt, 32)]);
        var task = KType.Struct("task_struct", TaskSize, () =>
        [
            new KMember("pid", p.Int, Pid * 8), new KMember("tgid", p.Int, Tgid * 8), new KMember("__state", p.UInt, State * 8),
            new KMember("exit_state", p.Int, ExitState * 8), new KMember("thread_info", threadInfo, Flags * 8),
            new KMember("flags", p.UInt, TaskFlags * 8), new KMember("comm", KType.Array(p.Char, 16), Comm * 8),
            new KMember("real_parent", ptr, Parent * 8), new KMember("mm", ptr, Mm * 8), new KMember("tasks", p.ListHead, Tasks * 8),
            new KMember("thread_node", p.ListHead, ThreadNode * 8), new KMember("signal", ptr, SignalAt * 8),
            new KMember("pid_links", KType.Array(p.ListHead, 1), PidLinks * 8),
        ]);
        p.AddType("struct task_struct", task);
        p.AddType("struct signal_struct", KType.Struct("signal_struct", 16, () => [new KMember("thread_head", p.ListHead, 0)]));
        p.AddType("struct pid", KType.Struct("pid", 16, () => [new KMember("tasks", KType.Array(p.ULong, 1), 0)]));
        var xarray = KType.Struct("xarray", 16, () => [new KMember("xa_head", ptr, 64)]);
        var idr = KType.Struct("idr", 24, () => [new KMember("idr_rt", xarray, 0), new KMember("idr_base", p.UInt, 128)]);
        p.AddType("struct pid_namespace", KType.Struct("pid_namespace", 24, () => [new KMember("idr", idr, 0)]));
        p.AddType("struct xa_node", KType.Struct("xa_node", 576, () =>
        [
            new KMember("shift", KType.Int("unsigned char", 1, false), 0), new KMember("offset", KType.Int("unsigned char", 1, false), 8),
            new KMember("count", KType.Int("unsigned char", 1, false), 16), new KMember("slots", KType.Array(ptr, 64), 320),
        ]));
        p.AddType("struct rq", KType.Struct("rq", 16, () => [new KMember("curr", ptr, 0), new KMember("idle", ptr, 64)]));
        p.Symbol("init_task", InitTask);
        p.Symbol("init_pid_ns", PidNs);
        p.Symbol("runqueues", Runqueues);
    }

    private static ulong TaskAt(int i) => InitTask + ((ulong)i * 0x100);

    private void Task(int i, int pid, int tgid, string comm, uint state = 1, ulong mm = 0, int cpu = 0)
    {
        ulong t = TaskAt(i);
        _p.Write(t + Pid, (ulong)pid, 4);
        _p.Write(t + Tgid, (ulong)tgid, 4);
        _p.Write(t + State, state, 4);
        _p.Write(t + Cpu, (ulong)cpu, 4);
        _p.WriteString(t + Comm, comm);
        _p.Write(t + Parent, InitTask);
        _p.Write(t + Mm, mm);
        _p.Write(t + SignalAt, Signal + ((ulong)i * 0x10));
        _p.Write(Signal + ((ulong)i * 0x10), Signal + ((ulong)i * 0x10)); // an empty thread list by default
    }

    // A circular list through the given tasks' members at offset, starting at head.
    private void Link(ulong head, int offset, params int[] tasks)
    {
        ulong node = head;
        foreach (int i in tasks)
        {
            ulong next = TaskAt(i) + (ulong)offset;
            _p.Write(node, next);
            node = next;
        }

        _p.Write(node, head);
    }

    // The PID IDR: index = pid, entry = struct pid whose tasks[0] points at the task's pid_links[0].
    private void Pids(params (int Task, int Pid)[] tasks)
    {
        _p.Write(PidNs + 8, XaNode | 2);
        for (ulong slot = 0; slot < 64; slot++)
        {
            _p.Write(XaNode + 40 + (slot * 8), 0);
        }

        foreach (var (i, number) in tasks)
        {
            ulong pid = TestProgram.Base + 0xe000 + ((ulong)i * 0x10);
            _p.Write(pid, TaskAt(i) + PidLinks);
            _p.Write(XaNode + 40 + ((ulong)number * 8), pid);
        }
    }

    private void Standard()
    {
        Task(0, 0, 0, "swapper/0", state: 0);
        Task(1, 1, 1, "init", mm: 0x1000);
        Task(2, 2, 2, "kthreadd");
        Task(3, 3, 1, "init-thread", mm: 0x1000);
        Task(4, 0, 0, "swapper/1", state: 0, cpu: 1);
        Link(InitTask + Tasks, Tasks, 1, 2);
        Link(Signal + 0x10, ThreadNode, 1, 3);
        Pids((1, 1), (2, 2), (3, 3));
        _p.Write(Runqueues, TaskAt(3));
        _p.Write(Runqueues + 8, TaskAt(0));
        _p.Write(Runqueues + 0x1000, TaskAt(4));
        _p.Write(Runqueues + 0x1000 + 8, TaskAt(4));
    }

    [Fact]
    public void Tasks_come_from_every_source_and_are_sorted_as_ps_sorts_them()
    {
        Standard();

        var list = TaskList.Read(_p);

        list.Problems.ShouldBeEmpty();
        list.Tasks.Select(t => (t.Pid, t.Comm, t.Cpu)).ShouldBe([(0, "swapper/0", 0), (0, "swapper/1", 1), (1, "init", 0), (2, "kthreadd", 0), (3, "init-thread", 0)]);
        list.Tasks[4].Sources.ShouldBe(TaskSources.ThreadGroup | TaskSources.PidIdr | TaskSources.Current);
        list.Tasks[4].IsActive.ShouldBeTrue();
        list.Tasks[4].IsGroupLeader.ShouldBeFalse();
        list.Tasks[1].Sources.ShouldBe(TaskSources.Idle | TaskSources.Current);
        list.Tasks[2].ParentPid.ShouldBe(0);
        list.CurrentByCpu.ShouldBe([TaskAt(3), TaskAt(4)]);
        list.Find(TaskAt(2))!.Comm.ShouldBe("kthreadd");
        list.Find(0x1234).ShouldBeNull();
    }

    [Fact]
    public void A_task_only_in_the_pid_idr_is_listed_and_reported()
    {
        Standard();
        Task(5, 5, 5, "hidden", mm: 0x2000);
        Pids((1, 1), (2, 2), (3, 3), (5, 5));

        var list = TaskList.Read(_p);

        list.Tasks.ShouldContain(t => t.Pid == 5 && t.Sources == TaskSources.PidIdr);
        list.Problems.ShouldHaveSingleItem().ShouldContain("(pid 5, hidden) is in the PID IDR but on no task list");
    }

    [Fact]
    public void A_listed_task_missing_from_the_pid_idr_is_reported()
    {
        Standard();
        Pids((1, 1), (3, 3));

        TaskList.Read(_p).Problems.ShouldHaveSingleItem().ShouldContain("(pid 2, kthreadd) is not in the PID IDR");
    }

    [Fact]
    public void A_looping_process_list_stops_with_a_problem_and_keeps_what_was_walked()
    {
        Standard();
        _p.Write(TaskAt(2) + Tasks, TaskAt(1) + Tasks); // kthreadd -> init again, never back to the head

        var list = TaskList.Read(_p);

        list.Problems.ShouldContain(p => p.Contains("init_task.tasks: a looping link", StringComparison.Ordinal));
        list.Tasks.Select(t => t.Pid).ShouldBe([0, 0, 1, 2, 3]);
    }

    [Fact]
    public void An_unreadable_task_is_reported_and_the_others_are_listed()
    {
        Standard();
        _p.Write(Runqueues + 0x1000, 0xdead000000000000);

        var list = TaskList.Read(_p);

        list.Problems.ShouldContain(p => p.StartsWith("task dead000000000000:", StringComparison.Ordinal));
        list.Tasks.Count.ShouldBe(5);
    }

    [Fact]
    public void A_kernel_without_init_task_cannot_list_tasks()
    {
        var p = new TestProgram();
        p.AddType("struct task_struct", KType.Struct("task_struct", 8, () => []));

        Should.Throw<KdxException>(() => TaskList.Read(p));
    }

    [Theory]
    [InlineData(0x0UL, "RU")]
    [InlineData(0x1UL, "IN")]
    [InlineData(0x2001UL, "IN")]
    [InlineData(0x2UL, "UN")]
    [InlineData(0x402UL, "ID")]
    [InlineData(0x4UL, "ST")]
    [InlineData(0x8UL, "TR")]
    [InlineData(0x20UL, "ZO")]
    [InlineData(0x10UL, "DE")]
    [InlineData(0x80UL, "DE")]
    [InlineData(0x40UL, "PA")]
    [InlineData(0x200UL, "WA")]
    [InlineData(0x800UL, "NE")]
    [InlineData(0x1000UL, "??")]
    public void States_get_crash_s_two_letters(ulong state, string expected) =>
        TaskStates.Default.ShortName(state).ShouldBe(expected);

    [Fact]
    public void State_bits_are_read_from_the_kernel_s_task_state_array()
    {
        // An older order where zombie comes before dead: "R S D T t Z X".
        string[] names = ["R (running)", "S (sleeping)", "D (disk sleep)", "T (stopped)", "t (tracing stop)", "Z (zombie)", "X (dead)"];
        const ulong array = TestProgram.Base + 0x20000;
        for (int i = 0; i < names.Length; i++)
        {
            ulong s = array + 0x100 + ((ulong)i * 0x20);
            _p.WriteString(s, names[i]);
            _p.Write(array + ((ulong)i * 8), s);
        }

        _p.Symbol("task_state_array", array);

        var states = TaskStates.Read(_p);

        states.Zombie.ShouldBe(16UL);
        states.Dead.ShouldBe(32UL);
        states.ShortName(16).ShouldBe("ZO");
        states.Parked.ShouldBe(0UL);
        states.ShortName(0x40).ShouldBe("??");
    }
}
