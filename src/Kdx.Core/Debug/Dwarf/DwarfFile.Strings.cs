using System.Text;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>Strings (.debug_str, .debug_line_str, .debug_str_offsets) and addresses (.debug_addr) of attribute values.</summary>
internal sealed partial class DwarfFile
{
    /// <summary>The string an attribute holds; "&lt;external string&gt;" for one in a supplementary file.</summary>
    public string String(DwarfUnit unit, in AttributeValue v) =>
        TryStringBytes(unit, v, out var bytes) ? Encoding.UTF8.GetString(bytes) : "<external string>";

    /// <summary>The bytes of the string an attribute holds; false for strings in a supplementary file.</summary>
    public bool TryStringBytes(DwarfUnit unit, in AttributeValue v, out ReadOnlySpan<byte> bytes)
    {
        switch (v.Class)
        {
            case FormClass.InlineString:
                bytes = unit.Section.Data.Span.Slice(v.Position, v.Size);
                return true;
            case FormClass.StringOffset:
                bytes = StringAt(Sections.Str, v.Value);
                return true;
            case FormClass.LineStringOffset:
                bytes = StringAt(Sections.LineStr, v.Value);
                return true;
            case FormClass.StringIndex:
                bytes = StringAt(Sections.Str, StrOffset(unit, v.Value));
                return true;
            case FormClass.ExternalString:
                bytes = default;
                return false;
            default:
                throw unit.Section.Error(v.Position, $"attribute 0x{v.Name:x} has form 0x{v.Form:x}, which does not hold a string");
        }
    }

    /// <summary>The .debug_str offset of string number <paramref name="index"/> of the unit (DW_FORM_strx).</summary>
    public ulong StrOffset(DwarfUnit unit, ulong index)
    {
        var table = Sections.StrOffsets;
        int size = unit.Format.OffsetSize;
        ulong at = unit.StrOffsetsBase + (index * (ulong)size);
        if (index > int.MaxValue || at < unit.StrOffsetsBase)
        {
            throw table.Error((long)Math.Min(unit.StrOffsetsBase, long.MaxValue), $"string index {index} is absurd");
        }

        table.CheckRange(at, (ulong)size, $"string offset {index} of the unit at .debug_info offset 0x{unit.Offset:x}");
        return table.Reader((int)at).Offset(size);
    }

    /// <summary>The address an attribute holds (DW_FORM_addr or an index into .debug_addr); false for other forms.</summary>
    public bool TryAddress(DwarfUnit unit, in AttributeValue v, out ulong address)
    {
        switch (v.Class)
        {
            case FormClass.Address:
                address = v.Value;
                return true;
            case FormClass.AddressIndex:
                address = AddressAt(unit, v.Value);
                return true;
            default:
                address = 0;
                return false;
        }
    }

    /// <summary>Entry <paramref name="index"/> of the unit's .debug_addr table.</summary>
    public ulong AddressAt(DwarfUnit unit, ulong index)
    {
        var table = Sections.Addr;
        int size = unit.Format.AddressSize;
        ulong at = unit.AddrBase + (index * (ulong)size);
        if (index > int.MaxValue || at < unit.AddrBase)
        {
            throw table.Error((long)Math.Min(unit.AddrBase, long.MaxValue), $"address index {index} is absurd");
        }

        table.CheckRange(at, (ulong)size, $"address {index} of the unit at .debug_info offset 0x{unit.Offset:x}");
        return table.Reader((int)at).Unsigned(size);
    }

    /// <summary>The NUL-terminated string at <paramref name="offset"/> of a string section.</summary>
    public static ReadOnlySpan<byte> StringAt(DwarfSection section, ulong offset)
    {
        if (offset >= (ulong)section.Length)
        {
            throw section.Error((long)Math.Min(offset, long.MaxValue), $"a string offset past the end of the section ({section.Length} bytes)");
        }

        var rest = section.Data.Span[(int)offset..];
        int nul = rest.IndexOf((byte)0);
        if (nul < 0)
        {
            throw section.Error((long)offset, "a string runs past the end of the section (no NUL)");
        }

        return rest[..nul];
    }
}
