using Kdx.Core.Unwind;
using Kdx.Tests.Model;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Unwind;

public sealed class DwarfCfiTests
{
    private const ulong Func = 0xffffffff81000100;
    private const ulong Expr = 0xffffffff81000200;

    /// <summary>
    /// A .debug_frame of one CIE (version 1: code alignment 1, data alignment -8, return address register 16;
    /// CFA = rsp + 8, return address at CFA - 8) and two FDEs: a function that pushes rbp, moves the CFA to rbp,
    /// and has a remembered state around an early return; and one whose CFA is an expression.
    /// </summary>
    public static byte[] Section()
    {
        var s = new List<byte>();
        void U32(uint v) => s.AddRange(BitConverter.GetBytes(v));
        void U64(ulong v) => s.AddRange(BitConverter.GetBytes(v));
        void Entry(Action body)
        {
            int at = s.Count;
            U32(0);
            body();
            while ((s.Count - at) % 8 != 0)
            {
                s.Add(0); // DW_CFA_nop
            }

            var bytes = BitConverter.GetBytes((uint)(s.Count - at - 4));
            for (int i = 0; i < 4; i++)
            {
                s[at + i] = bytes[i];
            }
        }

        Entry(() => { U32(uint.MaxValue); s.AddRange([1, 0, 1, 0x78, 16, 0x0c, 7, 8, 0x90, 1]); });
        Entry(() =>
        {
            U32(0);
            U64(Func);
            U64(0x40);
            s.AddRange([0x41, 0x0e, 16, 0x86, 2, 0x43, 0x0d, 6, 0x50, 0x0a, 0x0c, 7, 8, 0x41, 0x0b]);
        });
        Entry(() =>
        {
            U32(0);
            U64(Expr);
            U64(0x10);
            s.AddRange([0x0f, 2, 0x77, 8]);
        });
        return [.. s];
    }

    [Fact]
    public void Rows_follow_the_instructions_up_to_the_address()
    {
        var cfi = new DwarfCfi(Section());
        cfi.Count.ShouldBe(2);
        Row(cfi, Func).ShouldBe(new CfiRow(7, 8, -8, null));
        Row(cfi, Func + 1).ShouldBe(new CfiRow(7, 16, -8, -16));
        Row(cfi, Func + 3).ShouldBe(new CfiRow(7, 16, -8, -16));
        Row(cfi, Func + 4).ShouldBe(new CfiRow(6, 16, -8, -16));
        Row(cfi, Func + 0x13).ShouldBe(new CfiRow(6, 16, -8, -16));
        Row(cfi, Func + 0x14).ShouldBe(new CfiRow(7, 8, -8, -16), "remembered, then the early return's rule");
        Row(cfi, Func + 0x15).ShouldBe(new CfiRow(6, 16, -8, -16), "the remembered state is back");
        Row(cfi, Func + 0x3f).ShouldBe(new CfiRow(6, 16, -8, -16));
        cfi.TryFind(Func + 0x40, out _).ShouldBeFalse();
        cfi.TryFind(Func - 1, out _).ShouldBeFalse();
        cfi.TryFind(Expr + 1, out _).ShouldBeFalse("a CFA given by an expression has no row");
    }

    [Fact]
    public void Truncated_or_garbage_sections_give_no_rows_and_no_exceptions()
    {
        var whole = Section();
        for (int cut = 0; cut < whole.Length; cut += 3)
        {
            var cfi = new DwarfCfi(whole[..cut]);
            _ = cfi.TryFind(Func + 5, out _);
        }

        var bad = (byte[])whole.Clone();
        bad[0x30] = 0xff; // an opcode nobody defined, inside the first FDE's instructions
        _ = new DwarfCfi(bad).TryFind(Func + 0x30, out _);
    }

    [Fact]
    public void The_unwinder_uses_the_rules_where_orc_has_no_data()
    {
        var p = new TestProgram();
        var cfi = new DwarfCfi(Section());
        ulong stack = TestProgram.Base + 0x10000;
        var table = new OrcTable([Func - 0x100, Func], [.. new byte[5], 0x02, .. new byte[6]], OrcLayout.WithSignalBit); // Func: undefined
        p.Write(stack + 8, 0x1111);                   // saved rbp at CFA - 16
        p.Write(stack + 16, Func - 0x80);             // return address at CFA - 8
        var regs = new ulong[21];
        regs[16] = Func + 2;                          // after the push: CFA = rsp + 16
        regs[19] = stack + 8;
        var r = new OrcUnwinder(p, _ => table, cfiFor: pc => cfi.TryFind(pc, out var row) ? row : null).Unwind(regs);
        r.Frames[1].ShouldBe(new StackFrame(Func - 0x80, stack + 24, 0x1111, FrameKind.Cfi));
        new OrcUnwinder(p, _ => table).Unwind(regs).End.ShouldBe(UnwindEnd.NoUnwindData, "without the rules the walk stops, and says why");
    }

    private static CfiRow Row(DwarfCfi cfi, ulong pc)
    {
        cfi.TryFind(pc, out var row).ShouldBeTrue($"{pc:x}");
        return row;
    }
}
