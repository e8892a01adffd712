namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// Address → compilation unit, from .debug_aranges (DWARF 5 §6.1.2) and, for units it does not list,
/// the unit's own DW_AT_low_pc/high_pc or DW_AT_ranges.
/// </summary>
internal sealed class AddressMap
{
    private readonly (ulong Start, ulong End, int Unit)[] _ranges;

    private AddressMap((ulong Start, ulong End, int Unit)[] ranges) => _ranges = ranges;

    /// <summary>How many ranges the map holds.</summary>
    public int Count => _ranges.Length;

    /// <summary>Builds the map.</summary>
    public static AddressMap Build(DwarfFile file)
    {
        var ranges = new List<(ulong Start, ulong End, int Unit)>();
        var covered = new HashSet<int>();
        ReadAranges(file, ranges, covered);
        var list = new List<(ulong Start, ulong End)>();
        foreach (var unit in file.Units)
        {
            if (unit.IsTypeUnit || covered.Contains(unit.Offset) || unit.InTypesSection)
            {
                continue;
            }

            unit.EnsureRoot(file);
            list.Clear();
            RangeLists.Add(file, unit, unit.LowPc, unit.HighPc, unit.Ranges, list);
            foreach (var (start, end) in list)
            {
                ranges.Add((start, end, unit.Index));
            }
        }

        ranges.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.End.CompareTo(b.End));
        return new AddressMap([.. ranges]);
    }

    /// <summary>The units whose ranges hold <paramref name="address"/> (usually one).</summary>
    public IEnumerable<int> UnitsAt(ulong address)
    {
        // Ranges are sorted by start; any holding the address starts at or before it.
        int lo = 0, hi = _ranges.Length - 1, last = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_ranges[mid].Start <= address)
            {
                last = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        // Walk back over the ranges that start before the address; few overlap in practice.
        for (int i = last; i >= 0 && i > last - 64; i--)
        {
            if (address < _ranges[i].End)
            {
                yield return _ranges[i].Unit;
            }
        }
    }

    private static void ReadAranges(DwarfFile file, List<(ulong Start, ulong End, int Unit)> ranges, HashSet<int> covered)
    {
        var section = file.Sections.Aranges;
        int offset = 0;
        while (offset < section.Length)
        {
            var r = section.Reader(offset);
            ulong length = r.U32();
            int offsetSize = 4;
            if (length == 0xffffffff)
            {
                length = r.U64();
                offsetSize = 8;
            }

            if (length > (ulong)(section.Length - r.Position))
            {
                throw section.Error(offset, $"an address range set of {length} bytes runs past the end of the section");
            }

            int end = r.Position + (int)length;
            ushort version = r.U16();
            ulong unitOffset = r.Offset(offsetSize);
            byte addressSize = r.U8();
            byte segmentSize = r.U8();
            if (version != 2 || addressSize is not (4 or 8) || segmentSize != 0)
            {
                offset = end; // a set this reader cannot read: its units fall back to their own ranges
                continue;
            }

            // Tuples start at a multiple of twice the address size from the set's start.
            int tuple = 2 * addressSize;
            int first = offset + ((r.Position - offset + tuple - 1) / tuple * tuple);
            r.Position = first;
            var unit = file.UnitAt((long)Math.Min(unitOffset, long.MaxValue));
            bool haveUnit = unit is not null;
            while (r.Position + tuple <= end)
            {
                ulong start = r.Unsigned(addressSize);
                ulong size = r.Unsigned(addressSize);
                if (start == 0 && size == 0)
                {
                    break;
                }

                if (haveUnit && size > 0)
                {
                    ranges.Add((start, start + size, unit!.Index));
                }
            }

            if (haveUnit)
            {
                covered.Add(unit!.Offset);
            }

            offset = end;
        }
    }
}
