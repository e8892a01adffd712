namespace Kdx.Core.Debug.Dwarf;

/// <summary>Address ranges of DIEs: low_pc/high_pc pairs, .debug_rnglists (DWARF 5 §2.17.3) and .debug_ranges (DWARF 2–4).</summary>
internal static class RangeLists
{
    // DW_RLE_* (DWARF 5 §7.25).
    private const byte EndOfList = 0;
    private const byte BaseAddressx = 1;
    private const byte StartxEndx = 2;
    private const byte StartxLength = 3;
    private const byte OffsetPair = 4;
    private const byte BaseAddress = 5;
    private const byte StartEnd = 6;
    private const byte StartLength = 7;

    /// <summary>The most entries one list may have (bounds a corrupt list that never ends).</summary>
    public const int MaxEntries = 1 << 20;

    /// <summary>Adds the ranges of a DIE with <paramref name="lowPc"/>/<paramref name="highPc"/> or <paramref name="ranges"/>.</summary>
    public static void Add(DwarfFile file, DwarfUnit unit, in AttributeValue lowPc, in AttributeValue highPc, in AttributeValue ranges, List<(ulong Start, ulong End)> into)
    {
        if (ranges.Exists)
        {
            Read(file, unit, ranges, into);
            return;
        }

        if (!file.TryAddress(unit, lowPc, out ulong low))
        {
            return;
        }

        ulong high = low + 1;
        if (highPc.IsConstant)
        {
            high = low + highPc.Value;
        }
        else if (file.TryAddress(unit, highPc, out ulong h))
        {
            high = h;
        }

        if (high > low)
        {
            into.Add((low, high));
        }
    }

    /// <summary>Adds the ranges of a DW_AT_ranges attribute.</summary>
    public static void Read(DwarfFile file, DwarfUnit unit, in AttributeValue ranges, List<(ulong Start, ulong End)> into)
    {
        if (unit.Format.Version >= 5)
        {
            ulong offset = ranges.Class == FormClass.RangeListIndex ? ListOffset(file.Sections.Rnglists, unit, unit.RnglistsBase, ranges.Value) : ranges.Value;
            ReadRnglist(file, unit, offset, into);
        }
        else
        {
            ReadRanges(file, unit, ranges.Value + unit.RnglistsBase, into);
        }
    }

    /// <summary>
    /// The section offset of list <paramref name="index"/> of a unit's offsets table (DW_FORM_rnglistx,
    /// DW_FORM_loclistx): the table's entries are relative to the base.
    /// </summary>
    public static ulong ListOffset(DwarfSection section, DwarfUnit unit, ulong listBase, ulong index)
    {
        int size = unit.Format.OffsetSize;
        ulong at = listBase + (index * (ulong)size);
        if (index > int.MaxValue || at < listBase)
        {
            throw section.Error((long)Math.Min(listBase, long.MaxValue), $"list index {index} is absurd");
        }

        section.CheckRange(at, (ulong)size, $"offset {index} of a list table");
        return listBase + section.Reader((int)at).Offset(size);
    }

    private static void ReadRnglist(DwarfFile file, DwarfUnit unit, ulong offset, List<(ulong Start, ulong End)> into)
    {
        var section = file.Sections.Rnglists;
        section.CheckRange(offset, 1, "a range list");
        var r = section.Reader((int)offset);
        ulong baseAddress = unit.BaseAddress;
        int size = unit.Format.AddressSize;
        for (int n = 0; n < MaxEntries; n++)
        {
            byte kind = r.U8();
            switch (kind)
            {
                case EndOfList:
                    return;
                case BaseAddressx:
                    baseAddress = file.AddressAt(unit, r.Uleb());
                    break;
                case StartxEndx:
                    AddRange(into, file.AddressAt(unit, r.Uleb()), file.AddressAt(unit, r.Uleb()));
                    break;
                case StartxLength:
                    {
                        ulong start = file.AddressAt(unit, r.Uleb());
                        AddRange(into, start, start + r.Uleb());
                        break;
                    }

                case OffsetPair:
                    {
                        ulong start = r.Uleb();
                        ulong end = r.Uleb();
                        AddRange(into, baseAddress + start, baseAddress + end);
                        break;
                    }

                case BaseAddress:
                    baseAddress = r.Unsigned(size);
                    break;
                case StartEnd:
                    {
                        ulong start = r.Unsigned(size);
                        AddRange(into, start, r.Unsigned(size));
                        break;
                    }

                case StartLength:
                    {
                        ulong start = r.Unsigned(size);
                        AddRange(into, start, start + r.Uleb());
                        break;
                    }

                default:
                    throw section.Error(r.Position - 1, $"unknown range list entry kind {kind}");
            }
        }

        throw section.Error((long)offset, $"a range list with more than {MaxEntries} entries");
    }

    private static void ReadRanges(DwarfFile file, DwarfUnit unit, ulong offset, List<(ulong Start, ulong End)> into)
    {
        var section = file.Sections.Ranges;
        section.CheckRange(offset, 1, "a range list");
        var r = section.Reader((int)offset);
        ulong baseAddress = unit.BaseAddress;
        int size = unit.Format.AddressSize;
        ulong all = size == 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;
        for (int n = 0; n < MaxEntries; n++)
        {
            ulong start = r.Unsigned(size);
            ulong end = r.Unsigned(size);
            if (start == 0 && end == 0)
            {
                return;
            }

            if (start == all)
            {
                baseAddress = end;
                continue;
            }

            AddRange(into, baseAddress + start, baseAddress + end);
        }

        throw section.Error((long)offset, $"a range list with more than {MaxEntries} entries");
    }

    private static void AddRange(List<(ulong Start, ulong End)> into, ulong start, ulong end)
    {
        if (end > start)
        {
            into.Add((start, end));
        }
    }
}
