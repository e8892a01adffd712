using Kdx.Core;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Types;
using Kdx.Tests.Model;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Arch.X86_64;

/// <summary>The e820 map and IRQ stack readers on a tiny kernel.</summary>
public sealed class MachineStacksTests
{
    private readonly TestProgram _p = new();

    public MachineStacksTests()
    {
        var p = _p;
        var u64 = KType.Int("unsigned long long", 8, false);
        var entry = KType.Struct("e820_entry", 20, () => [new KMember("addr", u64, 0), new KMember("size", u64, 64), new KMember("type", p.UInt, 128)]);
        p.AddType("struct e820_entry", entry);
        p.AddType("struct e820_table", KType.Struct("e820_table", 4 + (3 * 20), () =>
            [new KMember("nr_entries", p.UInt, 0), new KMember("entries", KType.Array(entry, 3), 32)]));
    }

    private void Entry(ulong table, int i, ulong addr, ulong size, uint type)
    {
        ulong e = table + 4 + ((ulong)i * 20);
        _p.Write(e, addr);
        _p.Write(e + 8, size);
        _p.Write(e + 16, type, 4);
    }

    [Fact]
    public void The_e820_table_is_read_through_its_pointer_up_to_its_count()
    {
        ulong table = TestProgram.Base + 0x2000;
        _p.Symbol("e820_table", TestProgram.Base + 0x100);
        _p.Write(TestProgram.Base + 0x100, table);
        _p.Write(table, 2, 4);
        Entry(table, 0, 0, 0x9fc00, 1);
        Entry(table, 1, 0x100000, 0x1000, 128);
        Entry(table, 2, 0xdead, 1, 2); // beyond nr_entries
        MachineStacks.E820(_p).ShouldBe([new E820Range(0, 0x9fc00, 1), new E820Range(0x100000, 0x101000, 128)]);
        MachineStacks.E820TypeName(128).ShouldBe("E820_RESERVED_KERN");
        MachineStacks.E820TypeName(7).ShouldBe("type 7");
    }

    [Fact]
    public void A_count_beyond_the_table_s_capacity_is_capped()
    {
        ulong table = TestProgram.Base + 0x2000;
        _p.Symbol("e820_table", TestProgram.Base + 0x100);
        _p.Write(TestProgram.Base + 0x100, table);
        _p.Write(table, 0xffffffff, 4);
        MachineStacks.E820(_p).Count.ShouldBe(3);
    }

    [Fact]
    public void Without_an_e820_symbol_the_reader_says_so() =>
        Should.Throw<KdxException>(() => MachineStacks.E820(_p)).Message.ShouldContain("e820");

    [Fact]
    public void Irq_stack_bases_come_from_hardirq_stack_ptr_which_points_8_bytes_below_the_top()
    {
        _p.Symbol("hardirq_stack_ptr", TestProgram.Base + 0x200);
        _p.Write(TestProgram.Base + 0x200, 0xffffc90000004000 - 8);
        _p.Write(TestProgram.Base + 0x1200, 0xffffc90000010000); // CPU 1: already page aligned
        MachineStacks.IrqStacks(_p).ShouldBe([0xffffc90000000000UL, 0xffffc9000000c000UL]);
    }
}
