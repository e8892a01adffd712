namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// The little of DWARF expressions (DWARF 5 §2.5) that types and global variables need: a member offset
/// (DW_OP_plus_uconst N, or a constant pushed), and a static address (DW_OP_addr, DW_OP_addrx).
/// </summary>
internal static class Expressions
{
    /// <summary>The byte offset of a DW_AT_data_member_location expression (0 when it is not a constant offset).</summary>
    public static ulong MemberOffset(DwarfUnit unit, in AttributeValue expression)
    {
        var r = unit.Section.Reader(expression.Position);
        int end = expression.Position + expression.Size;
        ulong value = 0;
        while (r.Position < end)
        {
            byte op = r.U8();
            switch (op)
            {
                case DwOp.PlusUconst or DwOp.Constu:
                    value += r.Uleb();
                    break;
                case DwOp.Const1u:
                    value += r.U8();
                    break;
                case DwOp.Const2u:
                    value += r.U16();
                    break;
                case DwOp.Const4u:
                    value += r.U32();
                    break;
                case DwOp.Const8u:
                    value += r.U64();
                    break;
                case >= DwOp.Lit0 and <= DwOp.Lit31:
                    value += (ulong)(op - DwOp.Lit0);
                    break;
                case DwOp.Plus:
                    break;
                default:
                    return 0;
            }
        }

        return value;
    }

    /// <summary>The address a location expression names when it is exactly DW_OP_addr A or DW_OP_addrx I (plus an optional constant offset).</summary>
    public static bool TryStaticAddress(DwarfFile file, DwarfUnit unit, DwarfSection section, int position, int length, out ulong address)
    {
        address = 0;
        var r = section.Reader(position);
        int end = position + length;
        if (r.Position >= end)
        {
            return false;
        }

        byte op = r.U8();
        switch (op)
        {
            case DwOp.Addr:
                address = r.Unsigned(unit.Format.AddressSize);
                break;
            case DwOp.Addrx or DwOp.GnuAddrIndex:
                address = file.AddressAt(unit, r.Uleb());
                break;
            default:
                return false;
        }

        if (r.Position < end)
        {
            // DW_OP_plus_uconst N after the address: a member of a global (rare, but gcc emits it).
            op = r.U8();
            if (op != DwOp.PlusUconst)
            {
                return false;
            }

            address += r.Uleb();
        }

        return r.Position == end;
    }
}
