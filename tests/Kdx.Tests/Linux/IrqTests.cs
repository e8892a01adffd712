using Kdx.Core;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Linux.Irq;
using Kdx.Core.Types;
using Kdx.Tests.Model;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Linux;

/// <summary>
/// Interrupt descriptors on a tiny kernel with a static irq_desc[4] array: action chains (shared IRQs, a loop,
/// a broken link), chip and flow names, per-CPU counts and the off-stack affinity mask; softirqs; IDT gates.
/// </summary>
public sealed class IrqTests
{
    private const ulong Descs = TestProgram.Base + 0x1000;
    private const ulong Actions = TestProgram.Base + 0x3000;
    private const ulong Strings = TestProgram.Base + 0x5000;
    private const ulong Chip = TestProgram.Base + 0x6000;
    private const ulong Kstat = TestProgram.Base + 0x20000;
    private const int DescSize = 0x80;

    private readonly TestProgram _p = new();

    public IrqTests()
    {
        var p = _p;
        var ptr = KType.Pointer(p.ULong);
        var charPtr = KType.Pointer(p.Char);
        var mask = KType.Struct("cpumask", 8, () => [new KMember("bits", KType.Array(p.ULong, 1), 0)]);
        var common = KType.Struct("irq_common_data", 16, () => [new KMember("affinity", KType.Pointer(mask), 0)]);
        var data = KType.Struct("irq_data", 16, () => [new KMember("irq", p.UInt, 0), new KMember("chip", ptr, 64)]);
        var desc = KType.Struct("irq_desc", DescSize, () =>
        [
            new KMember("irq_common_data", common, 0), new KMember("irq_data", data, 0x10 * 8), new KMember("kstat_irqs", ptr, 0x20 * 8),
            new KMember("action", ptr, 0x28 * 8), new KMember("name", charPtr, 0x30 * 8),
        ]);
        p.AddType("struct irq_desc", desc);
        p.AddType("struct irqaction", KType.Struct("irqaction", 0x40, () =>
        [
            new KMember("handler", ptr, 0), new KMember("dev_id", ptr, 64), new KMember("next", ptr, 128),
            new KMember("flags", p.UInt, 192), new KMember("name", charPtr, 256),
        ]));
        p.AddType("struct irq_chip", KType.Struct("irq_chip", 8, () => [new KMember("name", charPtr, 0)]));
        p.Variable("irq_desc", KType.Array(desc, 4), Descs);
        p.Symbol("nr_irqs", TestProgram.Base + 0x10);
        p.Write(TestProgram.Base + 0x10, 4);
        p.WriteString(Strings, "IO-APIC");
        p.WriteString(Strings + 0x10, "edge");
        p.WriteString(Strings + 0x20, "eth0");
        p.WriteString(Strings + 0x30, "eth1");
        p.Write(Chip, Strings);
    }

    private static ulong Desc(int irq) => Descs + ((ulong)irq * DescSize);

    private static ulong Action(int i) => Actions + ((ulong)i * 0x40);

    private void Chain(int irq, params int[] actions)
    {
        ulong link = Desc(irq) + 0x28;
        foreach (int i in actions)
        {
            _p.Write(link, Action(i));
            _p.Write(Action(i), 0xffffffff81000000 + (ulong)i);
            _p.Write(Action(i) + 24, 0x80, 4);
            _p.Write(Action(i) + 32, Strings + 0x20 + ((ulong)i * 0x10));
            link = Action(i) + 16;
        }

        _p.Write(link, 0);
    }

    [Fact]
    public void A_shared_irq_lists_its_actions_in_chain_order_with_chip_and_flow()
    {
        Chain(1, 0, 1);
        _p.Write(Desc(1) + 0x18, Chip);
        _p.Write(Desc(1) + 0x30, Strings + 0x10);
        var irqs = IrqDescriptors.Read(_p);
        irqs.Storage.ShouldBe(IrqStorage.Array);
        irqs.Count.ShouldBe(4);
        var d = irqs.Find(1).ShouldNotBeNull();
        d.Address.ShouldBe(Desc(1));
        d.Actions.Select(a => (a.Address, a.Name, a.Handler, a.Flags)).ShouldBe(
            [(Action(0), "eth0", 0xffffffff81000000UL, 0x80UL), (Action(1), "eth1", 0xffffffff81000001UL, 0x80UL)]);
        d.ChipName.ShouldBe("IO-APIC");
        d.FlowName.ShouldBe("edge");
        d.Problem.ShouldBeNull();
        irqs.Find(2).ShouldNotBeNull().Actions.ShouldBeEmpty();
        irqs.Find(9).ShouldBeNull();
    }

    [Fact]
    public void A_looping_action_chain_is_cut_and_reported()
    {
        Chain(2, 0, 1);
        _p.Write(Action(1) + 16, Action(0));
        var d = IrqDescriptors.Read(_p).Find(2).ShouldNotBeNull();
        d.Actions.Count.ShouldBe(2);
        d.Problem.ShouldNotBeNull().ShouldContain("loops");
    }

    [Fact]
    public void An_unreadable_action_ends_the_chain_with_a_problem()
    {
        Chain(3, 0);
        _p.Write(Action(0) + 16, 0xdead000000000000);
        var d = IrqDescriptors.Read(_p).Find(3).ShouldNotBeNull();
        d.Actions.Select(a => a.Name).ShouldBe(["eth0"]);
        d.Problem.ShouldNotBeNull().ShouldContain("dead000000000000");
    }

    [Fact]
    public void Counts_are_per_cpu_and_affinity_follows_the_mask_pointer()
    {
        Chain(0, 0);
        _p.Write(Desc(0) + 0x20, Kstat);
        _p.Write(Kstat, 7, 4);
        _p.Write(Kstat + 0x1000, 9, 4); // CPU 1 (TestProgram's per-CPU areas are 0x1000 apart)
        _p.Write(Desc(0), TestProgram.Base + 0x7000);
        _p.Write(TestProgram.Base + 0x7000, 0b10);
        var irqs = IrqDescriptors.Read(_p);
        var d = irqs.Find(0).ShouldNotBeNull();
        irqs.CountsPerCpu(d).ShouldBe([7u, 9u]);
        irqs.Affinity(d).ShouldBe([1]);
    }

    [Fact]
    public void Without_any_descriptor_store_the_reader_says_which_symbols_it_looked_for()
    {
        var p = new TestProgram();
        Should.Throw<KdxException>(() => IrqDescriptors.Read(p)).Message.ShouldContain("sparse_irqs");
    }

    [Fact]
    public void Softirq_names_describe_a_pending_mask() =>
        (Softirqs.Describe(0b10_0000_0010), Softirqs.Describe(0)).ShouldBe(("TIMER|RCU", "none"));

    [Fact]
    public void An_idt_gate_splits_its_handler_address_over_three_fields()
    {
        // handler ffffffff81a00d10: offset_low 0x0d10, offset_middle 0x81a0, offset_high 0xffffffff; IST 3
        byte[] gate = [0x10, 0x0d, 0x10, 0x00, 0x03, 0x8e, 0xa0, 0x81, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
        InterruptDescriptorTable.HandlerOf(gate).ShouldBe(0xffffffff81a00d10);
        InterruptDescriptorTable.IstOf(gate).ShouldBe(3);
    }
}
