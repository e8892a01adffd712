using Kdx.Core.Memory;

namespace Kdx.Core.Unwind;

/// <summary>How one frame was reached.</summary>
public enum FrameKind
{
    /// <summary>The starting registers (a CPU's saved state or a sleeping task's switch frame).</summary>
    Start,

    /// <summary>A return address found through a call frame.</summary>
    Call,

    /// <summary>An exception or interrupt: a full struct pt_regs on the stack (<see cref="StackFrame.Regs"/>).</summary>
    Regs,

    /// <summary>An interrupt that saved only the hardware's iret frame.</summary>
    RegsPartial,

    /// <summary>A frame guessed through the frame pointer where no ORC entry covers the code (unreliable).</summary>
    FramePointerGuess,

    /// <summary>A call frame found through DWARF call-frame information where ORC has no data.</summary>
    Cfi,
}

/// <summary>Why an unwind stopped.</summary>
public enum UnwindEnd
{
    /// <summary>Not stopped yet.</summary>
    None,

    /// <summary>The outermost kernel frame (END_OF_STACK, or an exception frame from user mode).</summary>
    Complete,

    /// <summary>The code has no unwind data (an UNDEFINED entry).</summary>
    NoUnwindData,

    /// <summary>A stack word could not be read (<see cref="UnwindResult.Fault"/>).</summary>
    Unreadable,

    /// <summary>The entry names a register the unwinder does not have.</summary>
    MissingRegister,

    /// <summary>The stack went the wrong way or repeated itself: corrupt data or a loop.</summary>
    Loop,

    /// <summary>The frame limit was reached.</summary>
    TooManyFrames,
}

/// <summary>One frame: the instruction, the stack pointer in that frame, and the exception frame that led to it.</summary>
/// <param name="Ip">The instruction address (for a call frame, the return address).</param>
/// <param name="Sp">The stack pointer of the frame.</param>
/// <param name="Bp">The frame pointer register in the frame, as far as it is known.</param>
/// <param name="Kind">How the frame was reached.</param>
/// <param name="Regs">For <see cref="FrameKind.Regs"/>/<see cref="FrameKind.RegsPartial"/>: the address of the struct pt_regs.</param>
public readonly record struct StackFrame(ulong Ip, ulong Sp, ulong Bp, FrameKind Kind, ulong Regs = 0);

/// <summary>The frames of an unwind and why it stopped.</summary>
/// <param name="Frames">The frames, innermost first.</param>
/// <param name="End">Why it stopped.</param>
/// <param name="Fault">For <see cref="UnwindEnd.Unreadable"/>: the stack address that could not be read.</param>
public sealed record UnwindResult(IReadOnlyList<StackFrame> Frames, UnwindEnd End, ulong Fault = 0);

/// <summary>
/// The x86_64 ORC unwinder, with the kernel's rules (arch/x86/kernel/unwind_orc.c unwind_next_frame): find the
/// entry of the instruction (of the call, one byte before a return address), compute the previous stack pointer
/// from the entry's base register and offset, then the previous ip (and for exception frames the saved
/// registers) from the stack, and the frame pointer. Where no table covers the code it guesses a frame-pointer
/// frame, as the kernel does, and marks it. A frame that repeats or a stack that goes down within one stack
/// stops the walk, so corrupt data never loops.
/// </summary>
public sealed class OrcUnwinder
{
    // struct pt_regs (arch/x86/include/asm/ptrace.h): 21 words, r15 first; the hardware's iret frame is its tail.
    private const int PtRegsWords = 21;
    private const int IpSlot = 16;
    private const int CsSlot = 17;
    private const int SpSlot = 19;
    private const int BpSlot = 4;
    private const ulong IretFrameOffset = IpSlot * 8;

    // unwind_orc.c orc_fp_entry: the guess for code without ORC data (a frame-pointer frame).
    private static readonly OrcEntry FramePointerEntry = new(16, -16, OrcRegister.Bp, OrcRegister.PrevSp, OrcType.Call, false);

    private readonly IMemoryReader _memory;
    private readonly Func<ulong, OrcTable?> _tableFor;
    private readonly Func<ulong, (ulong Start, ulong End)?>? _stackOf;
    private readonly Func<ulong, CfiRow?>? _cfiFor;

    /// <summary>Creates an unwinder.</summary>
    /// <param name="memory">Kernel virtual memory.</param>
    /// <param name="tableFor">The table covering a code address (the kernel's or a module's), or null.</param>
    /// <param name="stackOf">The stack (start, end) an address is on, when known: a walk within one stack must go up.</param>
    /// <param name="cfiFor">The DWARF call-frame rules of a code address (from the vmlinux's .debug_frame), for code ORC leaves undefined.</param>
    public OrcUnwinder(IMemoryReader memory, Func<ulong, OrcTable?> tableFor, Func<ulong, (ulong Start, ulong End)?>? stackOf = null, Func<ulong, CfiRow?>? cfiFor = null)
    {
        _memory = memory;
        _tableFor = tableFor;
        _stackOf = stackOf;
        _cfiFor = cfiFor;
    }

    /// <summary>
    /// Unwinds from a full register set (<paramref name="registers"/>: struct pt_regs order, r15 … ss, at least 21
    /// values), as for a CPU's saved state.
    /// </summary>
    public UnwindResult Unwind(ReadOnlySpan<ulong> registers, int maxFrames = 512)
    {
        if (registers.Length < PtRegsWords)
        {
            throw new ArgumentException($"a register set has {PtRegsWords} values", nameof(registers));
        }

        var state = new State(registers[IpSlot], registers[SpSlot], registers[BpSlot]) { Regs = registers[..PtRegsWords].ToArray(), FullRegs = true, Signal = true };
        return Run(state, maxFrames);
    }

    /// <summary>
    /// Unwinds from an ip, stack pointer and frame pointer without saved registers, as for a sleeping task (the
    /// return address of its switch frame, the stack pointer above that frame, its saved bp).
    /// </summary>
    public UnwindResult Unwind(ulong ip, ulong sp, ulong bp, int maxFrames = 512) => Run(new State(ip, sp, bp), maxFrames);

    private UnwindResult Run(State state, int maxFrames)
    {
        var frames = new List<StackFrame> { new(state.Ip, state.Sp, state.Bp, FrameKind.Start) };
        var seen = new HashSet<(ulong, ulong, ulong)> { (state.Ip, state.Sp, state.Bp) };
        while (true)
        {
            if (frames.Count >= maxFrames)
            {
                return new UnwindResult(frames, UnwindEnd.TooManyFrames);
            }

            var (end, frame) = Step(state);
            if (end != UnwindEnd.None)
            {
                return new UnwindResult(frames, end, state.Fault);
            }

            if (!seen.Add((frame.Ip, frame.Sp, frame.Bp)))
            {
                return new UnwindResult(frames, UnwindEnd.Loop);
            }

            frames.Add(frame);
        }
    }

    private (UnwindEnd, StackFrame) Step(State s)
    {
        if (s.Regs is { } r && s.Regs.Length > CsSlot && (s.FullRegs || s.Partial) && (r[CsSlot] & 3) == 3)
        {
            return (UnwindEnd.Complete, default);
        }

        ulong lookup = s.Signal ? s.Ip : s.Ip - 1;
        bool guessed = false;
        OrcEntry orc;
        if (_tableFor(lookup) is { } table && table.TryFind(lookup, out orc))
        {
            if (orc.Type == OrcType.Undefined)
            {
                // objtool left this code without data (Debian 6.1's __crash_kexec, where the panic CPU's registers
                // were saved): the compiler's call-frame information may still describe it
                return _cfiFor?.Invoke(lookup) is { } row ? StepCfi(s, row) : (UnwindEnd.NoUnwindData, default);
            }

            if (orc.Type == OrcType.EndOfStack)
            {
                return (UnwindEnd.Complete, default);
            }
        }
        else
        {
            orc = FramePointerEntry;
            guessed = true;
        }

        ulong prevSp = s.Sp;
        ulong sp;
        bool indirect = false;
        switch (orc.SpRegister)
        {
            case OrcRegister.Sp:
                sp = s.Sp + (ulong)(long)orc.SpOffset;
                break;
            case OrcRegister.Bp:
                sp = s.Bp + (ulong)(long)orc.SpOffset;
                break;
            case OrcRegister.SpIndirect:
                sp = s.Sp;
                indirect = true;
                break;
            case OrcRegister.BpIndirect:
                sp = s.Bp + (ulong)(long)orc.SpOffset;
                indirect = true;
                break;
            case OrcRegister.R10 or OrcRegister.R13 or OrcRegister.Di or OrcRegister.Dx:
                int slot = orc.SpRegister switch { OrcRegister.R10 => 7, OrcRegister.R13 => 2, OrcRegister.Di => 14, _ => 12 };
                if (!s.TryGetRegister(slot, out sp))
                {
                    return (UnwindEnd.MissingRegister, default);
                }

                break;
            default:
                return (UnwindEnd.NoUnwindData, default);
        }

        if (indirect)
        {
            if (!TryRead(s, sp, out sp))
            {
                return (UnwindEnd.Unreadable, default);
            }

            if (orc.SpRegister == OrcRegister.SpIndirect)
            {
                sp += (ulong)(long)orc.SpOffset;
            }
        }

        FrameKind kind;
        ulong regsAt = 0;
        switch (orc.Type)
        {
            case OrcType.Call:
                if (!TryRead(s, sp - 8, out ulong ret))
                {
                    return (UnwindEnd.Unreadable, default);
                }

                s.Ip = ret;
                s.Sp = sp;
                s.Regs = null;
                s.PrevRegs = null;
                s.FullRegs = s.Partial = false;
                kind = guessed ? FrameKind.FramePointerGuess : FrameKind.Call;
                break;
            case OrcType.Regs:
                var regs = new ulong[PtRegsWords];
                for (int i = 0; i < PtRegsWords; i++)
                {
                    if (!TryRead(s, sp + (ulong)(8 * i), out regs[i]))
                    {
                        return (UnwindEnd.Unreadable, default);
                    }
                }

                s.Ip = regs[IpSlot];
                s.Sp = regs[SpSlot];
                s.Regs = regs;
                s.PrevRegs = null;
                s.FullRegs = true;
                s.Partial = false;
                kind = FrameKind.Regs;
                regsAt = sp;
                break;
            case OrcType.RegsPartial:
                var tail = new ulong[PtRegsWords];
                for (int i = IpSlot; i < PtRegsWords; i++)
                {
                    if (!TryRead(s, sp + (ulong)(8 * (i - IpSlot)), out tail[i]))
                    {
                        return (UnwindEnd.Unreadable, default);
                    }
                }

                s.Ip = tail[IpSlot];
                s.Sp = tail[SpSlot];
                s.PrevRegs = s.FullRegs ? s.Regs : null;
                s.Regs = tail;
                s.FullRegs = false;
                s.Partial = true;
                kind = FrameKind.RegsPartial;
                regsAt = sp - IretFrameOffset;
                break;
            default:
                return (UnwindEnd.NoUnwindData, default);
        }

        switch (orc.BpRegister)
        {
            case OrcRegister.Undefined:
                if (s.TryGetRegister(BpSlot, out ulong bp))
                {
                    s.Bp = bp;
                }

                break;
            case OrcRegister.PrevSp:
                if (!TryRead(s, sp + (ulong)(long)orc.BpOffset, out s.Bp))
                {
                    return (UnwindEnd.Unreadable, default);
                }

                break;
            case OrcRegister.Bp:
                if (!TryRead(s, s.Bp + (ulong)(long)orc.BpOffset, out s.Bp))
                {
                    return (UnwindEnd.Unreadable, default);
                }

                break;
            default:
                return (UnwindEnd.NoUnwindData, default);
        }

        // within one stack a frame is always above the one it called (the kernel's "stack going in the wrong
        // direction" check); without stack bounds the caller's frame limit and loop check still end the walk
        if (_stackOf is not null && _stackOf(prevSp) is { } stack && s.Sp >= stack.Start && s.Sp < stack.End && s.Sp <= prevSp)
        {
            return (UnwindEnd.Loop, default);
        }

        s.Signal = orc.Signal || kind is FrameKind.Regs or FrameKind.RegsPartial;
        return (UnwindEnd.None, new StackFrame(s.Ip, s.Sp, s.Bp, kind, regsAt));
    }

    // A call frame from DWARF CFI: the CFA is rsp or rbp plus an offset, the return address and rbp saved below it.
    private (UnwindEnd, StackFrame) StepCfi(State s, CfiRow row)
    {
        ulong cfaBase;
        if (row.CfaRegister == 7)
        {
            cfaBase = s.Sp;
        }
        else if (row.CfaRegister == 6)
        {
            cfaBase = s.Bp;
        }
        else
        {
            return (UnwindEnd.MissingRegister, default);
        }

        ulong cfa = cfaBase + (ulong)row.CfaOffset;
        if (!TryRead(s, cfa + (ulong)(row.ReturnAddressOffset ?? -8), out ulong ret))
        {
            return (UnwindEnd.Unreadable, default);
        }

        if (row.BpOffset is long bpAt && !TryRead(s, cfa + (ulong)bpAt, out s.Bp))
        {
            return (UnwindEnd.Unreadable, default);
        }

        ulong prevSp = s.Sp;
        s.Ip = ret;
        s.Sp = cfa;
        s.Regs = s.PrevRegs = null;
        s.FullRegs = s.Partial = s.Signal = false;
        if (_stackOf is not null && _stackOf(prevSp) is { } stack && s.Sp >= stack.Start && s.Sp < stack.End && s.Sp <= prevSp)
        {
            return (UnwindEnd.Loop, default);
        }

        return (UnwindEnd.None, new StackFrame(s.Ip, s.Sp, s.Bp, FrameKind.Cfi));
    }

    private bool TryRead(State s, ulong address, out ulong value)
    {
        if (_memory.TryReadUInt64(address, out value))
        {
            return true;
        }

        s.Fault = address;
        return false;
    }

    private sealed class State(ulong ip, ulong sp, ulong bp)
    {
        public ulong Ip = ip;
        public ulong Sp = sp;
        public ulong Bp = bp;
        public ulong[]? Regs;
        public ulong[]? PrevRegs;
        public bool FullRegs;
        public bool Partial;
        public bool Signal;
        public ulong Fault;

        // unwind_orc.c get_reg: from the full registers of the last exception frame, else from the full set an
        // interrupt (partial frame) was taken over
        public bool TryGetRegister(int slot, out ulong value)
        {
            value = 0;
            if (Regs is null)
            {
                return false;
            }

            if (FullRegs)
            {
                value = Regs[slot];
                return true;
            }

            if (PrevRegs is not null)
            {
                value = PrevRegs[slot];
                return true;
            }

            return false;
        }
    }
}
