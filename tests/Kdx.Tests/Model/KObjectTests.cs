using Kdx.Core;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Tests.Model;

public class KObjectTests
{
    private const ulong TaskAddress = TestProgram.Base + 0x1000;
    private const ulong ParentAddress = TestProgram.Base + 0x2000;

    private static TestProgram Program()
    {
        var p = new TestProgram();
        p.Variable("init_task", p.Task, TaskAddress);
        p.Write(TaskAddress, 1, 4);                        // pid
        p.Write(TaskAddress + 4, 0x40, 4);                 // flags
        p.Write(TaskAddress + 8, (0x13UL << 3) | (0xaUL << 8), 2); // prio:5 at bit 3 = 0x13, neg:4 at bit 8 = -6
        p.WriteString(TaskAddress + 12, "swapper/0");
        p.Write(TaskAddress + 32, 0x1122334455667788);     // anonymous union
        p.Write(TaskAddress + 40, ParentAddress + 40);     // tasks.next -> parent's tasks
        p.Write(TaskAddress + 48, ParentAddress + 40);
        p.Write(TaskAddress + 56, ParentAddress);          // parent
        p.Write(ParentAddress, 42, 4);
        p.WriteString(ParentAddress + 12, "init");
        return p;
    }

    [Fact]
    public void A_member_of_a_declared_only_struct_is_read_through_the_program_s_definition()
    {
        // A module's debuginfo declares "struct task;" and points to it; the kernel's types define it.
        var p = Program();
        var declared = KType.Struct("task", 0, null);
        p.Variable("task_ptr", KType.Pointer(declared), TestProgram.Base + 0x3000);
        p.Write(TestProgram.Base + 0x3000, TaskAddress);

        var task = KObject.Variable(p, "task_ptr");

        task["pid"].ToInt64().ShouldBe(1);
        task.Deref()["comm"].ReadCString().ShouldBe("swapper/0");
        p.Variable("unknown_ptr", KType.Pointer(KType.Struct("nothing_defines_me", 0, null)), TestProgram.Base + 0x3008);
        Should.Throw<KdxException>(() => KObject.Variable(p, "unknown_ptr")["x"]).Message.ShouldContain("no member named x");
    }

    [Fact]
    public void Members_bit_fields_strings_and_anonymous_unions()
    {
        var p = Program();
        var task = KObject.Variable(p, "init_task");
        task["pid"].ToInt64().ShouldBe(1);
        task["flags"].ToUInt64().ShouldBe(0x40UL);
        task["prio"].ToUInt64().ShouldBe(0x13UL);
        task["neg"].ToInt64().ShouldBe(-6);
        task["comm"].ReadCString().ShouldBe("swapper/0");
        task["half"].ToUInt64().ShouldBe(0x55667788UL);
        task["value"].ToUInt64().ShouldBe(0x1122334455667788UL);
        task.HasMember("tasks").ShouldBeTrue();
        task.HasMember("nope").ShouldBeFalse();
        Should.Throw<KdxException>(() => task["nope"]).Message.ShouldContain("no member named nope");
    }

    [Fact]
    public void Pointers_follow_to_members_and_container_of_walks_back()
    {
        var p = Program();
        var task = KObject.Variable(p, "init_task");
        task["parent"]["pid"].ToInt64().ShouldBe(42);
        task["parent"].Deref()["comm"].ReadCString().ShouldBe("init");
        var next = task["tasks"]["next"];
        var parent = next.ContainerOf(p.Task, "tasks");
        parent.ToUInt64().ShouldBe(ParentAddress);
        parent["pid"].ToInt64().ShouldBe(42);
        KObject.OffsetOf(p.Task, "tasks.prev").ShouldBe(48UL);
    }

    [Fact]
    public void Address_of_index_and_casts()
    {
        var p = Program();
        var task = KObject.Variable(p, "init_task");
        var ptr = task.AddressOf();
        ptr.ToUInt64().ShouldBe(TaskAddress);
        ptr.Type.ToString().ShouldBe("struct task *");
        task["comm"][1].ToInt64().ShouldBe('w');
        task["comm"].Index(4).ToInt64().ShouldBe('p');
        var asLong = task.Cast(p.Long);
        asLong.ToUInt64().ShouldBe(0x0000_0040_0000_0001UL);
        KObject.FromValue(p, p.Long, unchecked((ulong)-1)).Cast(p.Char).ToInt64().ShouldBe(-1);
        KObject.FromValue(p, p.Int, 5).Cast(KType.Bool("_Bool", 1)).ToUInt64().ShouldBe(1UL);
        Should.Throw<KdxException>(() => task["flags"].Deref()).Message.ShouldContain("not a pointer");
        Should.Throw<KdxException>(() => task["prio"].AddressOf()).Message.ShouldContain("bit field");
    }

    [Fact]
    public void Values_can_be_read_into_copies_and_members_taken_from_them()
    {
        var p = Program();
        var copy = KObject.Variable(p, "init_task").Read();
        copy.IsReference.ShouldBeFalse();
        copy["pid"].ToInt64().ShouldBe(1);
        copy["neg"].ToInt64().ShouldBe(-6);
        copy["comm"].ReadCString().ShouldBe("swapper/0");
        Should.Throw<KdxException>(() => copy.AddressOf());
    }

    [Fact]
    public void Unreadable_memory_is_a_fault_naming_the_address_and_type()
    {
        var p = Program();
        var bad = KObject.FromAddress(p, p.Task, 0xdead000000000000);
        var e = Should.Throw<MemoryFaultException>(() => bad["pid"].ToInt64());
        e.Address.ShouldBe(0xdead000000000000UL);
        e.Message.ShouldContain("int");
        Should.Throw<KdxException>(() => KObject.Variable(p, "nope"));
        Should.Throw<KdxException>(() => KObject.Absent(p, p.Int).ToUInt64()).Message.ShouldContain("absent");
    }
}
