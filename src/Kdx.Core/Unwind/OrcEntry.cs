using System.Buffers.Binary;
using Kdx.Core.Types;

namespace Kdx.Core.Unwind;

/// <summary>What an ORC entry says about the frame of the code it covers (arch/x86/include/asm/orc_types.h).</summary>
public enum OrcType : byte
{
    /// <summary>No unwind data: the unwind stops with an error.</summary>
    Undefined,

    /// <summary>The outermost frame of a kernel stack: the unwind is complete.</summary>
    EndOfStack,

    /// <summary>A normal call frame: the return address is just below the previous frame's stack pointer.</summary>
    Call,

    /// <summary>The stack pointer points at a full struct pt_regs (entry code, exceptions).</summary>
    Regs,

    /// <summary>The stack pointer points at the hardware's iret frame (ip, cs, flags, sp, ss) only.</summary>
    RegsPartial,
}

/// <summary>The registers an ORC entry bases the previous stack or frame pointer on (ORC_REG_*).</summary>
public enum OrcRegister : byte
{
    /// <summary>ORC_REG_UNDEFINED.</summary>
    Undefined = 0,

    /// <summary>ORC_REG_PREV_SP: the previous frame's stack pointer (for bp only).</summary>
    PrevSp = 1,

    /// <summary>ORC_REG_DX.</summary>
    Dx = 2,

    /// <summary>ORC_REG_DI.</summary>
    Di = 3,

    /// <summary>ORC_REG_BP.</summary>
    Bp = 4,

    /// <summary>ORC_REG_SP.</summary>
    Sp = 5,

    /// <summary>ORC_REG_R10.</summary>
    R10 = 6,

    /// <summary>ORC_REG_R13.</summary>
    R13 = 7,

    /// <summary>ORC_REG_BP_INDIRECT: the value at bp + offset.</summary>
    BpIndirect = 8,

    /// <summary>ORC_REG_SP_INDIRECT: the value at sp, plus the offset.</summary>
    SpIndirect = 9,
}

/// <summary>One decoded ORC entry (struct orc_entry: s16 sp_offset, s16 bp_offset, then bit fields).</summary>
/// <param name="SpOffset">Added to <paramref name="SpRegister"/> to find the previous frame's stack pointer.</param>
/// <param name="BpOffset">Where the previous frame pointer was saved, relative to <paramref name="BpRegister"/>.</param>
/// <param name="SpRegister">The base of the previous stack pointer.</param>
/// <param name="BpRegister">The base of the saved frame pointer (Undefined: bp is unchanged).</param>
/// <param name="Type">The kind of frame.</param>
/// <param name="Signal">The frame was interrupted, not called: its ip is exact, not a return address (v6.3+).</param>
public readonly record struct OrcEntry(short SpOffset, short BpOffset, OrcRegister SpRegister, OrcRegister BpRegister, OrcType Type, bool Signal);

/// <summary>
/// How a kernel packs struct orc_entry's third word. Before v6.4 it was <c>sp_reg:4 bp_reg:4 type:2 end:1</c>
/// with types CALL=0, REGS=1, REGS_PARTIAL=2 and an undefined sp_reg meaning "no data" (or the end of the stack
/// when <c>end</c> is set); commit fb799447ae29 ("x86,objtool: Split UNWIND_HINT_EMPTY in two", v6.4) made it
/// <c>type:3 signal:1</c> with UNDEFINED=0, END_OF_STACK=1, CALL=2, REGS=3, REGS_PARTIAL=4 (signal came with
/// ffb1b4a41016, "x86/unwind/orc: Add 'signal' field to ORC metadata", v6.3).
/// </summary>
public sealed record OrcLayout(bool HasEndBit, int TypeBits)
{
    /// <summary>The layout of v4.14 to v6.3.</summary>
    public static OrcLayout WithEndBit { get; } = new(true, 2);

    /// <summary>The layout of v6.4 and later.</summary>
    public static OrcLayout WithSignalBit { get; } = new(false, 3);

    /// <summary>The size of one entry in bytes.</summary>
    public const int EntrySize = 6;

    /// <summary>
    /// The layout from the kernel's own struct orc_entry (DWARF or BTF): a member named <c>end</c> or
    /// <c>signal</c>, and the width of <c>type</c>. Null when the type is missing.
    /// </summary>
    public static OrcLayout? FromType(KType? orcEntry)
    {
        if (orcEntry is null || !orcEntry.TryFindMember("type", out var type, out _))
        {
            return null;
        }

        int bits = type.BitFieldSize is int b and > 0 and <= 4 ? b : 2;
        return orcEntry.TryFindMember("end", out _, out _) ? new OrcLayout(true, bits) : new OrcLayout(false, bits);
    }

    /// <summary>
    /// The layout guessed from the entries themselves when no type says it: in the old layout CALL (type 0) is by
    /// far the most common two-bit type, in the new one CALL is 2 (and a 0 is rare: undefined regions).
    /// </summary>
    public static OrcLayout Guess(ReadOnlySpan<byte> entries)
    {
        Span<int> counts = stackalloc int[4];
        for (int i = 0; i + EntrySize <= entries.Length; i += EntrySize)
        {
            counts[(entries[i + 5] & 0x3)]++;
        }

        return counts[0] >= counts[2] ? WithEndBit : WithSignalBit;
    }

    /// <summary>Decodes the entry at the start of <paramref name="raw"/> (6 bytes).</summary>
    public OrcEntry Decode(ReadOnlySpan<byte> raw)
    {
        short sp = BinaryPrimitives.ReadInt16LittleEndian(raw);
        short bp = BinaryPrimitives.ReadInt16LittleEndian(raw[2..]);
        var spReg = (OrcRegister)(raw[4] & 0xf);
        var bpReg = (OrcRegister)(raw[4] >> 4);
        int bits = raw[5];
        int rawType = bits & ((1 << TypeBits) - 1);
        if (HasEndBit)
        {
            bool end = ((bits >> TypeBits) & 1) != 0;

            // the old layout has no UNDEFINED or END_OF_STACK type: an undefined sp_reg says it
            OrcType type = spReg == OrcRegister.Undefined
                ? (end ? OrcType.EndOfStack : OrcType.Undefined)
                : rawType switch { 0 => OrcType.Call, 1 => OrcType.Regs, 2 => OrcType.RegsPartial, _ => OrcType.Undefined };
            return new OrcEntry(sp, bp, spReg, bpReg, type, false);
        }

        bool signal = ((bits >> TypeBits) & 1) != 0;
        return new OrcEntry(sp, bp, spReg, bpReg, rawType <= 4 ? (OrcType)rawType : OrcType.Undefined, signal);
    }
}
