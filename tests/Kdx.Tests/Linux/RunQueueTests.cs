using Kdx.Core.Linux.Sched;
using Kdx.Core.Types;
using Kdx.Tests.Model;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Linux;

/// <summary>
/// Run queues on a tiny kernel: a struct rq whose cfs_rq tree holds a task and a task group (whose own cfs_rq
/// holds another task), whose RT array has one task on list 5, and whose running entity is the current task.
/// </summary>
public sealed class RunQueueTests
{
    private const ulong Rq = TestProgram.Base + 0x1000;
    private const ulong Tasks = TestProgram.Base + 0x4000;
    private const ulong GroupRq = TestProgram.Base + 0x8000;
    private const ulong GroupSe = TestProgram.Base + 0x9000;

    // struct rq: clock 0, cfs 0x40 (cfs_rq), rt 0x100 (rt_rq: active at 0). cfs_rq: tasks_timeline 0, curr 0x10, tg 0x18.
    // task_struct: prio 0, se 0x40 (sched_entity: run_node 0, my_q 0x20), rt 0x80 (sched_rt_entity: run_list 0).
    private readonly TestProgram _p = new();

    public RunQueueTests()
    {
        var p = _p;
        var ptr = KType.Pointer(p.ULong);
        var rbNode = KType.Struct("rb_node", 24, () => [new KMember("__rb_parent_color", p.ULong, 0), new KMember("rb_right", ptr, 64), new KMember("rb_left", ptr, 128)]);
        var se = KType.Struct("sched_entity", 0x30, () => [new KMember("run_node", rbNode, 0), new KMember("my_q", ptr, 0x20 * 8)]);
        var rtSe = KType.Struct("sched_rt_entity", 0x10, () => [new KMember("run_list", p.ListHead, 0)]);
        p.AddType("struct sched_entity", se);
        p.AddType("struct sched_rt_entity", rtSe);
        p.AddType("struct task_struct", KType.Struct("task_struct", 0x100, () =>
            [new KMember("prio", p.Int, 0), new KMember("se", se, 0x40 * 8), new KMember("rt", rtSe, 0x80 * 8)]));
        var cfsRq = KType.Struct("cfs_rq", 0x40, () => [new KMember("tasks_timeline", ptr, 0), new KMember("curr", ptr, 0x10 * 8), new KMember("tg", ptr, 0x18 * 8)]);
        p.AddType("struct cfs_rq", cfsRq);
        var prio = KType.Struct("rt_prio_array", 16 * 8, () => [new KMember("queue", KType.Array(p.ListHead, 8), 0)]);
        p.AddType("struct rt_prio_array", prio);
        var rtRq = KType.Struct("rt_rq", 0x80, () => [new KMember("active", prio, 0)]);
        p.AddType("struct rt_rq", rtRq);
        p.AddType("struct rq", KType.Struct("rq", 0x200, () =>
            [new KMember("clock", p.ULong, 0), new KMember("cfs", cfsRq, 0x40 * 8), new KMember("rt", rtRq, 0x100 * 8)]));
        p.Symbol("runqueues", Rq);
        for (int i = 0; i < 8; i++)
        {
            ulong head = Rq + 0x100 + ((ulong)i * 16);
            p.Write(head, head);
            p.Write(head + 8, head);
        }
    }

    private static ulong Task(int i) => Tasks + ((ulong)i * 0x100);

    private static ulong Node(int i) => Task(i) + 0x40;

    private void Standard()
    {
        // root tree: Task(1) (left) < group entity (root); the group's tree holds Task(2); Task(0) runs.
        _p.Write(Rq + 0x40, GroupSe);
        _p.Write(GroupSe + 16, Node(1));
        _p.Write(GroupSe + 0x20, GroupRq);
        _p.Write(GroupRq, Node(2));
        _p.Write(GroupRq + 0x18, 0xabc0);
        _p.Write(Rq + 0x40 + 0x10, Node(0));
        _p.Write(Task(1), 120, 4);
        _p.Write(Task(2), 110, 4);

        // RT list 5: Task(3).
        ulong head = Rq + 0x100 + (5 * 16);
        _p.Write(head, Task(3) + 0x80);
        _p.Write(Task(3) + 0x80, head);
    }

    [Fact]
    public void Cfs_tasks_come_in_tree_order_with_groups_walked_in_place_and_rt_tasks_by_list()
    {
        Standard();
        var rq = RunQueues.Open(_p).Read(0);
        rq.Address.ShouldBe(Rq);
        rq.Cfs.Select(e => (e.Depth, e.Task, e.TaskGroup)).ShouldBe([(0, Task(1), 0UL), (1, 0UL, 0xabc0UL), (1, Task(2), 0UL)]);
        rq.Rt.ShouldBe([new RtQueuedTask(5, Task(3))]);
        rq.Problems.ShouldBeEmpty();
    }

    [Fact]
    public void The_group_view_starts_with_the_running_task()
    {
        Standard();
        var problems = new List<string>();
        var view = RunQueues.Open(_p).GroupView(Rq + 0x40, Task(0), problems);
        view[0].ShouldBe(new CfsEntry(0, Task(0), Rq + 0x40, 0, IsCurrent: true));
        view.Count.ShouldBe(4);
        problems.ShouldBeEmpty();
    }

    [Fact]
    public void A_broken_rt_list_and_a_looping_tree_are_reported_and_the_rest_is_listed()
    {
        Standard();
        _p.Write(Task(3) + 0x80, 0); // the RT list ends in NULL instead of its head
        _p.Write(Node(2) + 8, GroupSe); // the group's task points back up into the root tree
        var rq = RunQueues.Open(_p).Read(0);
        rq.Rt.Select(t => t.Task).ShouldBe([Task(3)]);
        rq.Problems.ShouldContain(p => p.Contains("queue[5]", StringComparison.Ordinal));
        rq.Cfs.ShouldContain(e => e.Task == Task(1));
        rq.Problems.Count.ShouldBeGreaterThanOrEqualTo(2);
    }
}
