namespace Kdx.Core.Debug.Dwarf;

/// <summary>Reads the unit headers of .debug_info (DWARF 2–5) or .debug_types (DWARF 4).</summary>
internal static class UnitHeaders
{
    /// <summary>
    /// Every unit of <paramref name="section"/>, checked against the section's bounds. A bad header ends
    /// the list (the units after it cannot be found) with a warning; the units before it stay usable.
    /// </summary>
    public static DwarfUnit[] ReadAll(DwarfSection section, bool inTypesSection, int firstIndex, List<string> warnings)
    {
        var units = new List<DwarfUnit>();
        int offset = 0;
        while (offset < section.Length)
        {
            try
            {
                var unit = Read(section, offset, inTypesSection, firstIndex + units.Count);
                units.Add(unit);
                offset = unit.End;
            }
            catch (Kdx.Core.Dumps.DumpFormatException e)
            {
                warnings.Add($"{section.Name}: units from offset 0x{offset:x} on are not read: {e.Message}");
                break;
            }
        }

        return [.. units];
    }

    private static DwarfUnit Read(DwarfSection section, int offset, bool inTypesSection, int index)
    {
        var r = section.Reader(offset);
        ulong length = r.U32();
        int offsetSize = 4;
        if (length == 0xffffffff)
        {
            length = r.U64();
            offsetSize = 8;
        }
        else if (length >= 0xfffffff0)
        {
            throw section.Error(offset, $"unit length 0x{length:x} is a reserved value");
        }

        int headerEnd = r.Position;
        if (length > (ulong)(section.Length - headerEnd))
        {
            throw section.Error(offset, $"the unit's length {length} runs past the end of the section ({section.Length} bytes)");
        }

        int end = headerEnd + (int)length;
        ushort version = r.U16();
        if (version is < 2 or > 5)
        {
            throw section.Error(offset, $"unit version {version} is not supported (DWARF 2 to 5)");
        }

        byte unitType;
        byte addressSize;
        ulong abbrevOffset;
        ulong signature = 0, typeOffset = 0;
        if (version >= 5)
        {
            unitType = r.U8();
            addressSize = r.U8();
            abbrevOffset = r.Offset(offsetSize);
            switch (unitType)
            {
                case DwUt.Compile or DwUt.Partial:
                    break;
                case DwUt.Skeleton or DwUt.SplitCompile:
                    r.U64(); // dwo_id
                    break;
                case DwUt.Type or DwUt.SplitType:
                    signature = r.U64();
                    typeOffset = r.Offset(offsetSize);
                    break;
                default:
                    throw section.Error(offset, $"unknown unit type 0x{unitType:x}");
            }
        }
        else
        {
            abbrevOffset = r.Offset(offsetSize);
            addressSize = r.U8();
            unitType = DwUt.Compile;
            if (inTypesSection)
            {
                unitType = DwUt.Type;
                signature = r.U64();
                typeOffset = r.Offset(offsetSize);
            }
        }

        if (addressSize is not (2 or 4 or 8))
        {
            throw section.Error(offset, $"address size {addressSize} is not supported (2, 4 or 8)");
        }

        int firstDie = r.Position;
        if (firstDie > end)
        {
            throw section.Error(offset, $"the unit header ({firstDie - offset} bytes) is longer than the unit ({end - offset} bytes)");
        }

        if (signature != 0 && typeOffset >= (ulong)(end - offset))
        {
            throw section.Error(offset, $"the type unit's type offset 0x{typeOffset:x} lies outside the unit");
        }

        var format = new UnitFormat((byte)version, addressSize, (byte)offsetSize);
        return new DwarfUnit(section, inTypesSection, index, offset, end - offset, firstDie, format, unitType, abbrevOffset, signature, typeOffset);
    }
}
