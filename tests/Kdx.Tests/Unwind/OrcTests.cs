using Kdx.Core;
using Kdx.Core.Types;
using Kdx.Core.Unwind;
using Kdx.Tests.Model;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Unwind;

public sealed class OrcTests
{
    // code addresses (never read) and a stack in the test program's memory
    private const ulong FuncA = 0xffffffff81001000;
    private const ulong FuncB = 0xffffffff81002000;
    private const ulong FuncC = 0xffffffff81003000;
    private const ulong Entry = 0xffffffff81004000;
    private const ulong NoData = 0xffffffff81005000;
    private const ulong Stack = TestProgram.Base + 0x10000;

    /// <summary>Packs an entry in the v6.4+ layout (type:3 signal:1) or the older one (type:2 end:1).</summary>
    private static byte[] Pack(short sp, short bp, OrcRegister spReg, OrcRegister bpReg, int type, bool flag)
    {
        var b = new byte[6];
        BitConverter.TryWriteBytes(b.AsSpan(0), sp);
        BitConverter.TryWriteBytes(b.AsSpan(2), bp);
        b[4] = (byte)((int)spReg | ((int)bpReg << 4));
        b[5] = (byte)type;
        return b;
    }

    private static byte[] New(short sp, short bp, OrcRegister spReg, OrcRegister bpReg, OrcType type, bool signal = false)
    {
        var b = Pack(sp, bp, spReg, bpReg, (int)type, false);
        b[5] |= (byte)(signal ? 1 << 3 : 0);
        return b;
    }

    private static OrcTable Table(params (ulong Ip, byte[] Entry)[] rows) =>
        new([.. rows.Select(r => r.Ip)], [.. rows.SelectMany(r => r.Entry)], OrcLayout.WithSignalBit);

    [Fact]
    public void Both_layouts_decode_every_field()
    {
        var n = OrcLayout.WithSignalBit.Decode(New(-8, 16, OrcRegister.SpIndirect, OrcRegister.PrevSp, OrcType.RegsPartial, signal: true));
        n.ShouldBe(new OrcEntry(-8, 16, OrcRegister.SpIndirect, OrcRegister.PrevSp, OrcType.RegsPartial, true));

        var old = OrcLayout.WithEndBit;
        old.Decode(Pack(8, 0, OrcRegister.Sp, OrcRegister.Undefined, 0, false)).Type.ShouldBe(OrcType.Call);
        old.Decode(Pack(0, 0, OrcRegister.Sp, OrcRegister.Undefined, 1, false)).Type.ShouldBe(OrcType.Regs);
        old.Decode(Pack(0, 0, OrcRegister.Sp, OrcRegister.Undefined, 2, false)).Type.ShouldBe(OrcType.RegsPartial);
        var endBit = Pack(0, 0, OrcRegister.Undefined, OrcRegister.Undefined, 0, false);
        old.Decode(endBit).Type.ShouldBe(OrcType.Undefined);
        endBit[5] |= 1 << 2;
        old.Decode(endBit).Type.ShouldBe(OrcType.EndOfStack);
        OrcLayout.WithSignalBit.Decode(Pack(0, 0, OrcRegister.Sp, 0, 7, false)).Type.ShouldBe(OrcType.Undefined);
    }

    [Fact]
    public void The_layout_comes_from_the_kernel_s_type_or_from_the_entries()
    {
        var u = KType.Int("unsigned int", 4, false);
        var s16 = KType.Int("short int", 2, true);
        KMember[] Members(string flag, int typeBits) =>
        [
            new("sp_offset", s16, 0), new("bp_offset", s16, 16), new("sp_reg", u, 32, 4), new("bp_reg", u, 36, 4),
            new("type", u, 40, typeBits), new(flag, u, 40 + (ulong)typeBits, 1),
        ];
        OrcLayout.FromType(KType.Struct("orc_entry", 6, () => Members("end", 2))).ShouldBe(OrcLayout.WithEndBit);
        OrcLayout.FromType(KType.Struct("orc_entry", 6, () => Members("signal", 3))).ShouldBe(OrcLayout.WithSignalBit);
        OrcLayout.FromType(null).ShouldBeNull();

        // mostly CALL entries: type 0 in the old layout, 2 in the new one
        byte[] OldCalls() => [.. Enumerable.Range(0, 10).SelectMany(_ => Pack(8, 0, OrcRegister.Sp, 0, 0, false))];
        byte[] NewCalls() => [.. Enumerable.Range(0, 10).SelectMany(_ => New(8, 0, OrcRegister.Sp, 0, OrcType.Call))];
        OrcLayout.Guess(OldCalls()).ShouldBe(OrcLayout.WithEndBit);
        OrcLayout.Guess(NewCalls()).ShouldBe(OrcLayout.WithSignalBit);
    }

    [Fact]
    public void An_entry_covers_the_code_up_to_the_next_one_and_unsorted_tables_are_sorted()
    {
        var t = new OrcTable(
            [FuncB, FuncA, FuncA],
            [.. New(24, 0, OrcRegister.Sp, 0, OrcType.Call), .. New(8, 0, OrcRegister.Sp, 0, OrcType.Call), .. New(16, 0, OrcRegister.Sp, 0, OrcType.Call)],
            OrcLayout.WithSignalBit);
        t.TryFind(FuncA - 1, out _).ShouldBeFalse();
        t.TryFind(FuncA, out var a).ShouldBeTrue();
        a.SpOffset.ShouldBe((short)16, "of two entries at one address the last counts");
        t.TryFind(FuncA + 0x500, out a).ShouldBeTrue();
        a.SpOffset.ShouldBe((short)16);
        t.TryFind(FuncB + 1, out var b).ShouldBeTrue();
        b.SpOffset.ShouldBe((short)24);
        (t.Start, t.End, t.Count).ShouldBe((FuncA, FuncB, 3));
    }

    [Fact]
    public void Call_frames_are_followed_to_the_end_of_the_stack_with_frame_pointers_restored()
    {
        var p = new TestProgram();

        // C (innermost, no frame) was called by B (pushed bp, 16-byte frame), called by A (the end of the stack)
        var table = Table(
            (FuncA, New(0, 0, OrcRegister.Undefined, 0, OrcType.EndOfStack)),
            (FuncB, New(16, -16, OrcRegister.Sp, OrcRegister.PrevSp, OrcType.Call)),
            (FuncC, New(8, 0, OrcRegister.Sp, 0, OrcType.Call)));
        p.Write(Stack, FuncB + 0x20);         // C's return address into B
        p.Write(Stack + 8, 0x1234);           // B's saved bp
        p.Write(Stack + 16, FuncA + 0x30);    // B's return address into A
        var unwinder = new OrcUnwinder(p, ip => table, _ => (Stack - 0x4000, Stack + 0x4000));

        var r = unwinder.Unwind(FuncC + 0x10, Stack, 0x9999);
        r.End.ShouldBe(UnwindEnd.Complete);
        r.Frames.ShouldBe(
        [
            new StackFrame(FuncC + 0x10, Stack, 0x9999, FrameKind.Start),
            new StackFrame(FuncB + 0x20, Stack + 8, 0x9999, FrameKind.Call),
            new StackFrame(FuncA + 0x30, Stack + 24, 0x1234, FrameKind.Call),
        ]);
    }

    [Fact]
    public void An_exception_frame_gives_the_interrupted_registers_and_user_mode_ends_the_walk()
    {
        var p = new TestProgram();
        var table = Table(
            (FuncB, New(8, 0, OrcRegister.Sp, 0, OrcType.Call)),
            (Entry, New(0, 0, OrcRegister.Sp, 0, OrcType.Regs)),
            (FuncC, New(8, 0, OrcRegister.Sp, 0, OrcType.Call)));

        // C returns into the entry code, which has a pt_regs at the stack pointer: kernel mode, interrupted in B
        ulong regs = Stack + 8;
        p.Write(Stack, Entry + 5);
        p.Write(regs + (4 * 8), 0xb0b0);                // bp
        p.Write(regs + (7 * 8), 0x1010);                // r10
        p.Write(regs + (16 * 8), FuncB + 0x44);         // ip
        p.Write(regs + (17 * 8), 0x10);                 // cs: kernel
        p.Write(regs + (19 * 8), Stack + 0x800);        // sp
        p.Write(Stack + 0x800, Entry + 9);              // B's return address: back into the entry code
        ulong user = Stack + 0x808;
        p.Write(user + (16 * 8), 0x401000);             // the user-mode pt_regs
        p.Write(user + (17 * 8), 0x33);
        p.Write(user + (19 * 8), 0x7ffc0000);

        var r = new OrcUnwinder(p, ip => table).Unwind(FuncC + 1, Stack, 0);
        r.End.ShouldBe(UnwindEnd.Complete);
        r.Frames.Select(f => (f.Ip, f.Kind, f.Regs)).ShouldBe(
        [
            (FuncC + 1, FrameKind.Start, 0UL),
            (Entry + 5, FrameKind.Call, 0UL),
            (FuncB + 0x44, FrameKind.Regs, regs),
            (Entry + 9, FrameKind.Call, 0UL),
            (0x401000UL, FrameKind.Regs, user),
        ]);
        r.Frames[2].Bp.ShouldBe(0xb0b0UL, "an undefined bp register takes the pt_regs' bp");
    }

    [Fact]
    public void Registers_and_indirect_stack_pointers_switch_stacks()
    {
        var p = new TestProgram();
        ulong irqStack = Stack + 0x4000;
        var table = Table(
            (FuncA, New(0, 0, OrcRegister.Undefined, 0, OrcType.EndOfStack)),
            (FuncB, New(8, 0, OrcRegister.SpIndirect, 0, OrcType.Call)),
            (FuncC, New(8, 0, OrcRegister.R10, 0, OrcType.Call)));

        // B runs on the IRQ stack whose top word holds the task stack pointer (call_on_stack)
        p.Write(irqStack, Stack + 0x100);
        p.Write(Stack + 0x100, FuncA + 4);
        var r = new OrcUnwinder(p, ip => table).Unwind(FuncB + 2, irqStack, 0);
        r.Frames.Select(f => (f.Ip, f.Sp)).ShouldBe([(FuncB + 2, irqStack), (FuncA + 4, Stack + 0x108)]);
        r.End.ShouldBe(UnwindEnd.Complete);

        // a register the walk does not have stops it, and says so
        var regs = new ulong[21];
        regs[16] = FuncC + 3;
        regs[19] = Stack;
        regs[7] = Stack + 0x200;
        p.Write(Stack + 0x1f8, FuncA + 8);   // r10 is the previous stack pointer itself (no offset)
        new OrcUnwinder(p, ip => table).Unwind(regs).Frames[1].ShouldBe(new StackFrame(FuncA + 8, Stack + 0x200, 0, FrameKind.Call));
        new OrcUnwinder(p, ip => table).Unwind(FuncC + 3, Stack, 0).End.ShouldBe(UnwindEnd.MissingRegister);
    }

    [Fact]
    public void Corrupt_stacks_end_with_a_reason_and_never_loop()
    {
        var p = new TestProgram();
        var table = Table(
            (FuncA, New(0, 0, OrcRegister.Sp, 0, OrcType.Call)),          // a frame that does not move the stack
            (FuncB, New(8, 0, OrcRegister.Sp, 0, OrcType.Call)),
            (FuncC, New(0, 0, OrcRegister.Undefined, 0, OrcType.Undefined)));

        p.Write(Stack - 8, FuncA + 1);
        var loop = new OrcUnwinder(p, ip => table).Unwind(FuncA + 1, Stack, 0);
        loop.End.ShouldBe(UnwindEnd.Loop);
        loop.Frames.Count.ShouldBeLessThan(4);
        new OrcUnwinder(p, ip => table, _ => (Stack - 0x100, Stack + 0x100)).Unwind(FuncA + 1, Stack, 0).End.ShouldBe(UnwindEnd.Loop);

        var outside = new OrcUnwinder(p, ip => table).Unwind(FuncB + 1, TestProgram.Base + (1 << 20) + 0x100, 0);
        outside.End.ShouldBe(UnwindEnd.Unreadable);
        outside.Fault.ShouldBe(TestProgram.Base + (1 << 20) + 0x100);

        new OrcUnwinder(p, ip => table).Unwind(FuncC + 1, Stack, 0).End.ShouldBe(UnwindEnd.NoUnwindData);

        // a long chain of distinct frames stops at the limit
        var climb = Table((FuncB, New(8, 0, OrcRegister.Sp, 0, OrcType.Call)));
        for (int i = 0; i < 64; i++)
        {
            p.Write(Stack + (ulong)(8 * i), FuncB + (ulong)i + 1);
        }

        var limited = new OrcUnwinder(p, ip => climb).Unwind(FuncB + 1, Stack, 0, maxFrames: 10);
        (limited.End, limited.Frames.Count).ShouldBe((UnwindEnd.TooManyFrames, 10));
    }

    [Fact]
    public void Code_without_orc_data_is_walked_by_its_frame_pointer_and_marked()
    {
        var p = new TestProgram();
        var table = Table((FuncA, New(0, 0, OrcRegister.Undefined, 0, OrcType.EndOfStack)));
        ulong bp = Stack + 0x40;
        p.Write(bp, Stack + 0x80);       // saved bp
        p.Write(bp + 8, FuncA + 0x10);   // return address
        var r = new OrcUnwinder(p, ip => ip >= FuncA && ip < FuncA + 0x100 ? table : null).Unwind(NoData + 4, Stack, bp);
        r.Frames[1].ShouldBe(new StackFrame(FuncA + 0x10, bp + 16, Stack + 0x80, FrameKind.FramePointerGuess));
        r.End.ShouldBe(UnwindEnd.Complete);
    }

    [Fact]
    public void Tables_read_from_memory_check_their_size()
    {
        var p = new TestProgram();
        ulong ips = TestProgram.Base + 0x100, entries = TestProgram.Base + 0x200;
        ulong codeA = TestProgram.Base + 0x5000, codeB = TestProgram.Base + 0x6000;
        p.Write(ips, codeA - ips, 4);   // each address relative to its own slot
        p.Write(ips + 4, codeB - (ips + 4), 4);
        byte[] e = [.. New(8, 0, OrcRegister.Sp, 0, OrcType.Call), .. New(16, 0, OrcRegister.Sp, 0, OrcType.Call)];
        for (int i = 0; i < e.Length; i++)
        {
            p.Write(entries + (ulong)i, e[i], 1);
        }

        var t = OrcTable.Read(p, ips, entries, 2, OrcLayout.WithSignalBit, "test");
        (t.Start, t.End).ShouldBe((codeA, codeB));
        t.TryFind(codeB + 5, out var b).ShouldBeTrue();
        b.SpOffset.ShouldBe((short)16);

        Should.Throw<KdxException>(() => OrcTable.Read(p, ips, entries, OrcTable.MaxEntries + 1, null, "huge")).Message.ShouldContain("not a plausible table");
        Should.Throw<KdxException>(() => OrcTable.Read(p, TestProgram.Base + (1 << 20) - 4, entries, 2, null, "module x"));

        p.Symbol("__start_orc_unwind_ip", ips);
        p.Symbol("__stop_orc_unwind_ip", ips + 8);
        p.Symbol("__start_orc_unwind", entries);
        OrcTable.FromMemory(p, null)!.Count.ShouldBe(2);
    }
}
