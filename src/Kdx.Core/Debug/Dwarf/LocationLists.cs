namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// Just enough of location lists (.debug_loclists, DWARF 5 §2.6.2; .debug_loc, DWARF 2–4) to find the
/// address of a global variable whose location is a list: the first entry that is a static address.
/// </summary>
internal static class LocationLists
{
    // DW_LLE_* (DWARF 5 §7.7.3).
    private const byte EndOfList = 0;
    private const byte BaseAddressx = 1;
    private const byte StartxEndx = 2;
    private const byte StartxLength = 3;
    private const byte OffsetPair = 4;
    private const byte DefaultLocation = 5;
    private const byte BaseAddress = 6;
    private const byte StartEnd = 7;
    private const byte StartLength = 8;

    /// <summary>The first static address (DW_OP_addr/addrx) among the entries of a location list.</summary>
    public static bool TryFirstStaticAddress(DwarfFile file, DwarfUnit unit, in AttributeValue location, out ulong address)
    {
        address = 0;
        if (unit.Format.Version >= 5)
        {
            var section = file.Sections.Loclists;
            ulong offset = location.Class == FormClass.LocationListIndex
                ? RangeLists.ListOffset(section, unit, unit.LoclistsBase, location.Value)
                : location.Value;
            section.CheckRange(offset, 1, "a location list");
            var r = section.Reader((int)offset);
            for (int n = 0; n < RangeLists.MaxEntries; n++)
            {
                byte kind = r.U8();
                switch (kind)
                {
                    case EndOfList:
                        return false;
                    case BaseAddressx:
                        r.Uleb();
                        continue;
                    case BaseAddress:
                        r.Unsigned(unit.Format.AddressSize);
                        continue;
                    case StartxEndx or StartxLength or OffsetPair:
                        r.Uleb();
                        r.Uleb();
                        break;
                    case DefaultLocation:
                        break;
                    case StartEnd:
                        r.Unsigned(unit.Format.AddressSize);
                        r.Unsigned(unit.Format.AddressSize);
                        break;
                    case StartLength:
                        r.Unsigned(unit.Format.AddressSize);
                        r.Uleb();
                        break;
                    default:
                        throw section.Error(r.Position - 1, $"unknown location list entry kind {kind}");
                }

                int length = (int)Math.Min(r.Uleb(), int.MaxValue);
                int at = r.Position;
                r.Skip((ulong)length);
                if (Expressions.TryStaticAddress(file, unit, section, at, length, out address))
                {
                    return true;
                }
            }

            return false;
        }

        var loc = file.Sections.Loc;
        loc.CheckRange(location.Value, 1, "a location list");
        var old = loc.Reader((int)location.Value);
        int size = unit.Format.AddressSize;
        ulong all = size == 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;
        for (int n = 0; n < RangeLists.MaxEntries; n++)
        {
            ulong start = old.Unsigned(size);
            ulong end = old.Unsigned(size);
            if (start == 0 && end == 0)
            {
                return false;
            }

            if (start == all)
            {
                continue; // a base address selection entry
            }

            int length = old.U16();
            int at = old.Position;
            old.Skip((ulong)length);
            if (Expressions.TryStaticAddress(file, unit, loc, at, length, out address))
            {
                return true;
            }
        }

        return false;
    }
}
