using System.Buffers.Binary;

namespace Kdx.Core.Unwind;

/// <summary>
/// The call-frame rules of one instruction from DWARF CFI: the canonical frame address (CFA) is a register plus
/// an offset, and the return address and the caller's frame pointer are saved at offsets from it (or unchanged).
/// </summary>
/// <param name="CfaRegister">DWARF register number of the CFA's base (x86_64: 7 rsp, 6 rbp).</param>
/// <param name="CfaOffset">Added to it.</param>
/// <param name="ReturnAddressOffset">Where the return address is saved, relative to the CFA (null: not saved).</param>
/// <param name="BpOffset">Where the caller's rbp is saved, relative to the CFA (null: rbp is unchanged).</param>
public readonly record struct CfiRow(int CfaRegister, long CfaOffset, long? ReturnAddressOffset, long? BpOffset);

/// <summary>
/// A reader of the vmlinux's .debug_frame (DWARF 5 section 6.4; CIE versions 1, 3 and 4): finds the FDE that
/// covers an address and runs its CIE's and its own instructions up to that address. Only the rules an x86_64
/// kernel's compiler emits for the CFA, rbp and the return address are kept; a CFA given by an expression
/// has no row. Addresses are the file's (link-time).
/// </summary>
public sealed class DwarfCfi
{
    private const int RegBp = 6;
    private const int RegSp = 7;
    private const int RegReturnAddress = 16;

    private readonly byte[] _section;
    private readonly ulong[] _starts;
    private readonly ulong[] _ends;
    private readonly int[] _fdes;

    /// <summary>Indexes the FDEs of a .debug_frame section.</summary>
    public DwarfCfi(byte[] section)
    {
        ArgumentNullException.ThrowIfNull(section);
        _section = section;
        var rows = new List<(ulong Start, ulong End, int Offset)>();
        int at = 0;
        while (at + 4 <= section.Length)
        {
            if (!TryEntry(at, out int body, out int next, out ulong id, out bool wide))
            {
                break;
            }

            if (id != (wide ? ulong.MaxValue : uint.MaxValue) && body + (wide ? 8 : 4) + 16 <= next)
            {
                int p = body + (wide ? 8 : 4);
                ulong start = BinaryPrimitives.ReadUInt64LittleEndian(section.AsSpan(p));
                ulong range = BinaryPrimitives.ReadUInt64LittleEndian(section.AsSpan(p + 8));
                if (range != 0)
                {
                    rows.Add((start, start + range, at));
                }
            }

            at = next;
        }

        rows.Sort((a, b) => a.Start.CompareTo(b.Start));
        _starts = [.. rows.Select(r => r.Start)];
        _ends = [.. rows.Select(r => r.End)];
        _fdes = [.. rows.Select(r => r.Offset)];
    }

    /// <summary>The number of FDEs.</summary>
    public int Count => _fdes.Length;

    /// <summary>The rules at <paramref name="pc"/>, or false when no FDE covers it or its CFA is not register-based.</summary>
    public bool TryFind(ulong pc, out CfiRow row)
    {
        row = default;
        int i = Array.BinarySearch(_starts, pc);
        i = i < 0 ? ~i - 1 : i;
        if (i < 0 || pc >= _ends[i])
        {
            return false;
        }

        return TryRun(_fdes[i], pc, out row);
    }

    private bool TryEntry(int at, out int body, out int next, out ulong id, out bool wide)
    {
        body = next = 0;
        id = 0;
        wide = false;
        if (at < 0 || at > _section.Length - 4)
        {
            // a CIE pointer from a corrupt FDE can point anywhere
            return false;
        }

        ulong length = BinaryPrimitives.ReadUInt32LittleEndian(_section.AsSpan(at));
        wide = length == uint.MaxValue;
        body = at + 4;
        if (wide)
        {
            if (at + 12 > _section.Length)
            {
                return false;
            }

            length = BinaryPrimitives.ReadUInt64LittleEndian(_section.AsSpan(at + 4));
            body = at + 12;
        }

        if (length == 0 || length > (ulong)(_section.Length - body) || length < (wide ? 8UL : 4UL))
        {
            return false;
        }

        next = body + (int)length;
        id = wide ? BinaryPrimitives.ReadUInt64LittleEndian(_section.AsSpan(body)) : BinaryPrimitives.ReadUInt32LittleEndian(_section.AsSpan(body));
        return true;
    }

    private bool TryRun(int fde, ulong pc, out CfiRow row)
    {
        row = default;
        if (!TryEntry(fde, out int body, out int end, out ulong cieOffset, out bool wide) || cieOffset >= (ulong)_section.Length
            || !TryEntry((int)cieOffset, out int cieBody, out int cieEnd, out _, out bool cieWide))
        {
            return false;
        }

        // the CIE: version, augmentation, [address and segment size], alignment factors, return register
        var c = new Cursor(_section, cieBody + (cieWide ? 8 : 4), cieEnd);
        byte version = c.Byte();
        int augStart = c.Position;
        while (c.Position < cieEnd && c.Byte() != 0)
        {
        }

        string augmentation = System.Text.Encoding.ASCII.GetString(_section, augStart, Math.Max(0, c.Position - augStart - 1));
        if (version >= 4)
        {
            c.Byte();
            c.Byte();
        }

        ulong codeAlign = c.Uleb();
        long dataAlign = c.Sleb();
        ulong raRegister = version == 1 ? c.Byte() : c.Uleb();
        if (augmentation.StartsWith('z'))
        {
            c.Position += (int)Math.Min(c.Uleb(), (ulong)(cieEnd - c.Position));
        }
        else if (augmentation.Length > 0)
        {
            return false;
        }

        var state = new State { CfaRegister = RegSp, CfaOffset = 8 };
        var initial = new State();
        if (!Execute(new Cursor(_section, c.Position, cieEnd), ref state, ref initial, 0, ulong.MaxValue, codeAlign, dataAlign, (int)raRegister))
        {
            return false;
        }

        initial = state;
        int p = body + (wide ? 8 : 4);
        ulong start = BinaryPrimitives.ReadUInt64LittleEndian(_section.AsSpan(p));
        if (!Execute(new Cursor(_section, p + 16, end), ref state, ref initial, start, pc, codeAlign, dataAlign, (int)raRegister) || state.CfaExpression)
        {
            return false;
        }

        row = new CfiRow(state.CfaRegister, state.CfaOffset, state.Ra, state.Bp);
        return true;
    }

    // Runs instructions while the location stays at or below pc; false on an instruction it cannot skip.
    private static bool Execute(Cursor c, ref State s, ref State initial, ulong location, ulong pc, ulong codeAlign, long dataAlign, int ra)
    {
        var stack = new Stack<State>();
        while (c.Position < c.End)
        {
            byte op = c.Byte();
            int high = op >> 6, low = op & 0x3f;
            switch (high)
            {
                case 1: // DW_CFA_advance_loc
                    location += (ulong)low * codeAlign;
                    if (location > pc)
                    {
                        return true;
                    }

                    continue;
                case 2: // DW_CFA_offset
                    s.Set(low, (long)c.Uleb() * dataAlign, ra);
                    continue;
                case 3: // DW_CFA_restore
                    s.Restore(low, initial, ra);
                    continue;
            }

            switch (low)
            {
                case 0x00: // nop
                    break;
                case 0x01: // set_loc
                    location = c.U64();
                    if (location > pc)
                    {
                        return true;
                    }

                    break;
                case 0x02 or 0x03 or 0x04: // advance_loc1/2/4
                    location += (low == 0x02 ? c.Byte() : low == 0x03 ? c.U16() : c.U32()) * codeAlign;
                    if (location > pc)
                    {
                        return true;
                    }

                    break;
                case 0x05: // offset_extended
                    {
                        int reg = (int)c.Uleb();
                        s.Set(reg, (long)c.Uleb() * dataAlign, ra);
                        break;
                    }

                case 0x06: // restore_extended
                    s.Restore((int)c.Uleb(), initial, ra);
                    break;
                case 0x07 or 0x08: // undefined, same_value
                    s.Clear((int)c.Uleb(), ra);
                    break;
                case 0x09: // register
                    s.Clear((int)c.Uleb(), ra);
                    c.Uleb();
                    break;
                case 0x0a: // remember_state
                    stack.Push(s);
                    break;
                case 0x0b: // restore_state
                    if (stack.Count == 0)
                    {
                        return false;
                    }

                    s = stack.Pop();
                    break;
                case 0x0c: // def_cfa
                    s.CfaRegister = (int)c.Uleb();
                    s.CfaOffset = (long)c.Uleb();
                    s.CfaExpression = false;
                    break;
                case 0x0d: // def_cfa_register
                    s.CfaRegister = (int)c.Uleb();
                    s.CfaExpression = false;
                    break;
                case 0x0e: // def_cfa_offset
                    s.CfaOffset = (long)c.Uleb();
                    break;
                case 0x0f: // def_cfa_expression
                    s.CfaExpression = true;
                    c.Position += (int)Math.Min(c.Uleb(), (ulong)(c.End - c.Position));
                    break;
                case 0x10 or 0x16: // expression, val_expression: the register's rule is unknown to us
                    {
                        s.Clear((int)c.Uleb(), ra);
                        c.Position += (int)Math.Min(c.Uleb(), (ulong)(c.End - c.Position));
                        break;
                    }

                case 0x11: // offset_extended_sf
                    {
                        int reg = (int)c.Uleb();
                        s.Set(reg, c.Sleb() * dataAlign, ra);
                        break;
                    }

                case 0x12: // def_cfa_sf
                    s.CfaRegister = (int)c.Uleb();
                    s.CfaOffset = c.Sleb() * dataAlign;
                    s.CfaExpression = false;
                    break;
                case 0x13: // def_cfa_offset_sf
                    s.CfaOffset = c.Sleb() * dataAlign;
                    break;
                case 0x14 or 0x15: // val_offset(_sf)
                    s.Clear((int)c.Uleb(), ra);
                    _ = low == 0x14 ? (long)c.Uleb() : c.Sleb();
                    break;
                case 0x2e: // GNU_args_size
                    c.Uleb();
                    break;
                default:
                    return false;
            }

            if (c.Overrun)
            {
                return false;
            }
        }

        return true;
    }

    private struct State
    {
        public int CfaRegister;
        public long CfaOffset;
        public bool CfaExpression;
        public long? Ra;
        public long? Bp;

        public void Set(int reg, long offset, int ra)
        {
            if (reg == ra || reg == RegReturnAddress)
            {
                Ra = offset;
            }
            else if (reg == RegBp)
            {
                Bp = offset;
            }
        }

        public void Clear(int reg, int ra)
        {
            if (reg == ra || reg == RegReturnAddress)
            {
                Ra = null;
            }
            else if (reg == RegBp)
            {
                Bp = null;
            }
        }

        public void Restore(int reg, State initial, int ra)
        {
            if (reg == ra || reg == RegReturnAddress)
            {
                Ra = initial.Ra;
            }
            else if (reg == RegBp)
            {
                Bp = initial.Bp;
            }
        }
    }

    private sealed class Cursor(byte[] data, int position, int end)
    {
        public int Position = position;
        public readonly int End = end;
        public bool Overrun;

        public byte Byte() => Position < End ? data[Position++] : Fail<byte>(1);

        public ushort U16() => Position + 2 <= End ? BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((Position += 2) - 2)) : Fail<ushort>(2);

        public uint U32() => Position + 4 <= End ? BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((Position += 4) - 4)) : Fail<uint>(4);

        public ulong U64() => Position + 8 <= End ? BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan((Position += 8) - 8)) : Fail<ulong>(8);

        public ulong Uleb()
        {
            ulong v = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte b = Byte();
                v |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0 || Overrun)
                {
                    return v;
                }
            }

            return v;
        }

        public long Sleb()
        {
            long v = 0;
            int shift = 0;
            byte b;
            do
            {
                b = Byte();
                v |= (long)(b & 0x7f) << shift;
                shift += 7;
            }
            while ((b & 0x80) != 0 && shift < 64 && !Overrun);

            return shift < 64 && (b & 0x40) != 0 ? v | (-1L << shift) : v;
        }

        private T Fail<T>(int size)
            where T : struct
        {
            Overrun = true;
            Position = End;
            _ = size;
            return default;
        }
    }
}
