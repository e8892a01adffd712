using System.Text;

namespace Kdx.Fuzz.Dwarf;

/// <summary>
/// Writes DWARF sections for tests and fuzz seeds: DWARF 2 to 5, 32- or 64-bit, every attribute form,
/// type units, line programs, range and location lists, address tables and string offset tables.
/// Build a DIE tree with <see cref="Unit"/>, then call <see cref="Build"/> for the section bytes.
/// </summary>
public sealed class DwarfWriter
{
    private readonly List<UnitWriter> _units = [];
    private readonly List<string> _strx = [];
    private readonly List<ulong> _addrx = [];

    public DwarfWriter(int version = 5, bool dwarf64 = false)
    {
        Version = version;
        Dwarf64 = dwarf64;
    }

    public int Version { get; }

    public bool Dwarf64 { get; }

    public int OffsetSize => Dwarf64 ? 8 : 4;

    /// <summary>Gives every DIE with children a DW_AT_sibling (ref4), as gcc does.</summary>
    public bool AutoSibling { get; set; } = true;

    /// <summary>Puts type units of DWARF 4 in .debug_types (DWARF 5 keeps them in .debug_info).</summary>
    public IReadOnlyList<UnitWriter> Units => _units;

    public StringPool Str { get; } = new();

    public StringPool LineStr { get; } = new();

    /// <summary>Adds a compile unit named <paramref name="name"/>.</summary>
    public UnitWriter Unit(string name = "test.c", string compDir = "/src")
    {
        var root = new DieNode(Dw.TagCompileUnit);
        root.A(Dw.AtProducer, Dw.FormStrp, "kdx test writer");
        root.A(Dw.AtLanguage, Dw.FormData1, 0x1d);
        root.A(Dw.AtName, Version >= 5 ? Dw.FormLineStrp : Dw.FormStrp, name);
        root.A(Dw.AtCompDir, Version >= 5 ? Dw.FormLineStrp : Dw.FormStrp, compDir);
        root.ForceChildren = true;
        var unit = new UnitWriter(this, root, Dw.UtCompile);
        _units.Add(unit);
        return unit;
    }

    /// <summary>Adds a type unit with <paramref name="signature"/>; set its <see cref="UnitWriter.TypeDie"/>.</summary>
    public UnitWriter TypeUnit(ulong signature)
    {
        var root = new DieNode(Dw.TagTypeUnit) { ForceChildren = true };
        var unit = new UnitWriter(this, root, Dw.UtType) { TypeSignature = signature };
        _units.Add(unit);
        return unit;
    }

    /// <summary>The sections: name → bytes.</summary>
    public Dictionary<string, byte[]> Build()
    {
        var sections = new Dictionary<string, byte[]>();
        var abbrev = new List<byte>();
        var info = new List<byte>();
        var types = new List<byte>();
        var line = new List<byte>();
        var rnglists = new List<byte>();
        var ranges = new List<byte>();
        var aranges = new List<byte>();

        // Intern indexed strings and addresses first, so that the sizes of their indexes are known.
        foreach (var u in _units)
        {
            Intern(u.Root);
        }

        if (Version >= 5)
        {
            RnglistsHeaderStart(rnglists);
        }

        foreach (var u in _units)
        {
            PrepareRoot(u, line, rnglists, ranges);
        }

        foreach (var u in _units)
        {
            var target = Version < 5 && u.UnitType == Dw.UtType ? types : info;
            WriteUnit(u, target, abbrev);
        }

        foreach (var u in _units)
        {
            if (u.InAranges && u.Ranges.Count > 0 && u.UnitType == Dw.UtCompile)
            {
                WriteAranges(u, aranges);
            }
        }

        if (Version >= 5)
        {
            Bytes.Set(rnglists, 0, (ulong)(rnglists.Count - (Dwarf64 ? 12 : 4)), Dwarf64 ? 8 : 4);
            if (Dwarf64)
            {
                Bytes.Set(rnglists, 0, 0xffffffff, 4);
                Bytes.Set(rnglists, 4, (ulong)(rnglists.Count - 12), 8);
            }
        }

        // The offsets table adds its strings to .debug_str: build it first.
        if (_strx.Count > 0)
        {
            sections[".debug_str_offsets"] = StrOffsets();
        }

        sections[".debug_info"] = [.. info];
        sections[".debug_abbrev"] = [.. abbrev];
        sections[".debug_str"] = Str.ToArray();
        if (types.Count > 0)
        {
            sections[".debug_types"] = [.. types];
        }

        if (LineStr.Length > 0)
        {
            sections[".debug_line_str"] = LineStr.ToArray();
        }

        if (line.Count > 0)
        {
            sections[".debug_line"] = [.. line];
        }

        if (_addrx.Count > 0)
        {
            sections[".debug_addr"] = AddrTable();
        }

        if (Version >= 5 && _units.Any(u => u.Ranges.Count > 1))
        {
            sections[".debug_rnglists"] = [.. rnglists];
        }

        if (ranges.Count > 0)
        {
            sections[".debug_ranges"] = [.. ranges];
        }

        if (aranges.Count > 0)
        {
            sections[".debug_aranges"] = [.. aranges];
        }

        return sections;
    }

    /// <summary>The index a DW_FORM_strx* attribute with this string gets.</summary>
    public int StringIndex(string s)
    {
        int i = _strx.IndexOf(s);
        if (i < 0)
        {
            _strx.Add(s);
            i = _strx.Count - 1;
        }

        return i;
    }

    /// <summary>The index a DW_FORM_addrx* attribute (or DW_OP_addrx) with this address gets.</summary>
    public int AddressIndex(ulong address)
    {
        int i = _addrx.IndexOf(address);
        if (i < 0)
        {
            _addrx.Add(address);
            i = _addrx.Count - 1;
        }

        return i;
    }

    /// <summary>The base the unit roots give DW_AT_str_offsets_base and DW_AT_addr_base: just after the table header.</summary>
    public int TableBase => Dwarf64 ? 16 : 8;

    private void Intern(DieNode die)
    {
        foreach (var a in die.Attrs)
        {
            ushort form = a.Form == Dw.FormIndirect ? a.Inner : a.Form;
            if (form is Dw.FormStrx or Dw.FormStrx1 or Dw.FormStrx2 or Dw.FormStrx3 or Dw.FormStrx4 && a.Value is string s)
            {
                StringIndex(s);
            }
            else if (form is Dw.FormAddrx or Dw.FormAddrx1 or Dw.FormAddrx2 or Dw.FormAddrx3 or Dw.FormAddrx4 && a.Value is ulong addr)
            {
                AddressIndex(addr);
            }
        }

        foreach (var c in die.Children)
        {
            Intern(c);
        }
    }

    private void PrepareRoot(UnitWriter u, List<byte> line, List<byte> rnglists, List<byte> ranges)
    {
        var root = u.Root;
        if (Version >= 5 && _strx.Count > 0 && !root.Attrs.Exists(a => a.At == Dw.AtStrOffsetsBase))
        {
            root.A(Dw.AtStrOffsetsBase, Dw.FormSecOffset, (ulong)TableBase);
        }

        if (Version >= 5 && _addrx.Count > 0 && !root.Attrs.Exists(a => a.At == Dw.AtAddrBase))
        {
            root.A(Dw.AtAddrBase, Dw.FormSecOffset, (ulong)TableBase);
        }

        if (u.Lines is { } lines)
        {
            root.A(Dw.AtStmtList, Version >= 4 ? Dw.FormSecOffset : Dw.FormData4, (ulong)line.Count);
            line.AddRange(lines.Build(Version, Dwarf64, LineStr));
        }

        if (u.Ranges.Count == 1)
        {
            root.A(Dw.AtLowPc, Dw.FormAddr, u.Ranges[0].Start);
            root.A(Dw.AtHighPc, Dw.FormData4, u.Ranges[0].End - u.Ranges[0].Start);
        }
        else if (u.Ranges.Count > 1 && Version >= 5)
        {
            // With DW_FORM_rnglistx: a one-entry offsets table first (base points at it), the list after it.
            int tableAt = rnglists.Count;
            if (u.RangesByIndex)
            {
                Bytes.Put(rnglists, 0, OffsetSize);
            }

            ulong listOffset = (ulong)rnglists.Count;
            rnglists.Add(5); // DW_RLE_base_address
            Bytes.Put(rnglists, u.Ranges[0].Start, 8);
            foreach (var (start, end) in u.Ranges)
            {
                rnglists.Add(4); // DW_RLE_offset_pair
                Leb.U(rnglists, start - u.Ranges[0].Start);
                Leb.U(rnglists, end - u.Ranges[0].Start);
            }

            rnglists.Add(0);
            root.A(Dw.AtLowPc, Dw.FormAddr, 0UL);
            if (u.RangesByIndex)
            {
                Bytes.Set(rnglists, tableAt, listOffset - (ulong)tableAt, OffsetSize);
                root.A(Dw.AtRnglistsBase, Dw.FormSecOffset, (ulong)tableAt);
                root.A(Dw.AtRanges, Dw.FormRnglistx, 0UL);
            }
            else
            {
                root.A(Dw.AtRanges, Dw.FormSecOffset, listOffset);
            }
        }
        else if (u.Ranges.Count > 1)
        {
            root.A(Dw.AtLowPc, Dw.FormAddr, 0UL);
            root.A(Dw.AtRanges, Dw.FormSecOffset, (ulong)ranges.Count);
            Bytes.Put(ranges, ulong.MaxValue, 8); // base address selection
            Bytes.Put(ranges, u.Ranges[0].Start, 8);
            foreach (var (start, end) in u.Ranges)
            {
                Bytes.Put(ranges, start - u.Ranges[0].Start, 8);
                Bytes.Put(ranges, end - u.Ranges[0].Start, 8);
            }

            Bytes.Put(ranges, 0, 16);
        }
    }

    private void RnglistsHeaderStart(List<byte> rnglists)
    {
        Bytes.UnitLength(rnglists, 0, Dwarf64); // patched at the end
        Bytes.Put(rnglists, 5, 2);
        rnglists.Add(8);
        rnglists.Add(0);
        Bytes.Put(rnglists, 0, 4); // offset_entry_count
    }

    private void WriteUnit(UnitWriter u, List<byte> section, List<byte> abbrevSection)
    {
        var codes = new Dictionary<string, int>();
        var abbrevs = new List<byte>();
        int abbrevOffset = abbrevSection.Count;
        AssignCodes(u.Root, codes, abbrevs);
        abbrevs.Add(0);
        abbrevSection.AddRange(abbrevs);

        u.Offset = section.Count;
        int headerSize = (Dwarf64 ? 12 : 4) + 2 + (Version >= 5 ? 2 : 1) + OffsetSize
            + (u.UnitType == Dw.UtType ? 8 + OffsetSize : 0);
        int at = u.Offset + headerSize;
        at = Layout(u, u.Root, at, codes);
        var body = new List<byte>();
        Emit(u, u.Root, body, codes);
        if (body.Count != at - u.Offset - headerSize)
        {
            throw new InvalidOperationException("test DWARF writer: layout and emitted sizes differ");
        }

        var unit = new List<byte>();
        Bytes.UnitLength(unit, headerSize - (Dwarf64 ? 12 : 4) + body.Count, Dwarf64);
        Bytes.Put(unit, (ulong)Version, 2);
        if (Version >= 5)
        {
            unit.Add(u.UnitType);
            unit.Add(8);
            Bytes.Put(unit, (ulong)abbrevOffset, OffsetSize);
        }
        else
        {
            Bytes.Put(unit, (ulong)abbrevOffset, OffsetSize);
            unit.Add(8);
        }

        if (u.UnitType == Dw.UtType)
        {
            Bytes.Put(unit, u.TypeSignature, 8);
            Bytes.Put(unit, (ulong)((u.TypeDie?.Offset ?? 0) - u.Offset), OffsetSize);
        }

        unit.AddRange(body);
        section.AddRange(unit);
    }

    private void AssignCodes(DieNode die, Dictionary<string, int> codes, List<byte> abbrevs)
    {
        if (AutoSibling && die.HasChildren && die.Tag != Dw.TagCompileUnit && die.Tag != Dw.TagTypeUnit && !die.Attrs.Exists(a => a.At == Dw.AtSibling))
        {
            die.Attrs.Add(new DwAttr(Dw.AtSibling, Dw.FormRef4, NextSibling));
        }

        var key = new StringBuilder($"{die.Tag}/{die.HasChildren}");
        foreach (var a in die.Attrs)
        {
            key.Append($"/{a.At}:{a.Form}");
            if (a.Form == Dw.FormImplicitConst)
            {
                key.Append($"={Convert.ToInt64(a.Value)}");
            }
        }

        if (!codes.ContainsKey(key.ToString()))
        {
            int code = codes.Count + 1;
            codes[key.ToString()] = code;
            Leb.U(abbrevs, (ulong)code);
            Leb.U(abbrevs, die.Tag);
            abbrevs.Add(die.HasChildren ? (byte)1 : (byte)0);
            foreach (var a in die.Attrs)
            {
                Leb.U(abbrevs, a.At);
                Leb.U(abbrevs, a.Form);
                if (a.Form == Dw.FormImplicitConst)
                {
                    Leb.S(abbrevs, Convert.ToInt64(a.Value));
                }
            }

            abbrevs.Add(0);
            abbrevs.Add(0);
        }

        foreach (var c in die.Children)
        {
            AssignCodes(c, codes, abbrevs);
        }
    }

    /// <summary>A marker value: DW_AT_sibling pointing just past this DIE's subtree.</summary>
    public static object NextSibling { get; } = new();

    private int Layout(UnitWriter u, DieNode die, int at, Dictionary<string, int> codes)
    {
        die.Offset = at;
        die.Unit = u;
        var tmp = new List<byte>();
        Leb.U(tmp, (ulong)CodeOf(die, codes));
        at += tmp.Count;
        foreach (var a in die.Attrs)
        {
            at += AttributeSize(a);
        }

        if (die.HasChildren)
        {
            foreach (var c in die.Children)
            {
                at = Layout(u, c, at, codes);
            }

            at += 1;
        }

        die.End = at;
        return at;
    }

    private static int CodeOf(DieNode die, Dictionary<string, int> codes)
    {
        var key = new StringBuilder($"{die.Tag}/{die.HasChildren}");
        foreach (var a in die.Attrs)
        {
            key.Append($"/{a.At}:{a.Form}");
            if (a.Form == Dw.FormImplicitConst)
            {
                key.Append($"={Convert.ToInt64(a.Value)}");
            }
        }

        return codes[key.ToString()];
    }

    private int AttributeSize(DwAttr a)
    {
        var tmp = new List<byte>();
        EncodeValue(a.Form == Dw.FormIndirect ? a.Inner : a.Form, a.Value, tmp, null, null, a.Form == Dw.FormIndirect);
        return tmp.Count;
    }

    private void Emit(UnitWriter u, DieNode die, List<byte> body, Dictionary<string, int> codes)
    {
        Leb.U(body, (ulong)CodeOf(die, codes));
        foreach (var a in die.Attrs)
        {
            EncodeValue(a.Form == Dw.FormIndirect ? a.Inner : a.Form, a.Value, body, u, die, a.Form == Dw.FormIndirect);
        }

        if (die.HasChildren)
        {
            foreach (var c in die.Children)
            {
                Emit(u, c, body, codes);
            }

            body.Add(0);
        }
    }

    /// <summary>Encodes a value; during layout (<paramref name="unit"/> null) references are placeholders of the right size.</summary>
    private void EncodeValue(ushort form, object? value, List<byte> into, UnitWriter? unit, DieNode? owner, bool indirect)
    {
        if (indirect)
        {
            Leb.U(into, form);
        }

        ulong Number() => value switch
        {
            null => 0,
            DieNode d => (ulong)d.Offset,
            ulong u => u,
            string => 0,
            _ => unchecked((ulong)Convert.ToInt64(value)),
        };

        switch (form)
        {
            case Dw.FormAddr or Dw.FormData8 or Dw.FormRef8 or Dw.FormRefSig8:
                Bytes.Put(into, Reference(form, value, unit, owner) ?? Number(), 8);
                break;
            case Dw.FormData1 or Dw.FormFlag or Dw.FormRef1 or Dw.FormStrx1 or Dw.FormAddrx1:
                Bytes.Put(into, Reference(form, value, unit, owner) ?? Index(form, value) ?? Number(), 1);
                break;
            case Dw.FormData2 or Dw.FormRef2 or Dw.FormStrx2 or Dw.FormAddrx2:
                Bytes.Put(into, Reference(form, value, unit, owner) ?? Index(form, value) ?? Number(), 2);
                break;
            case Dw.FormStrx3 or Dw.FormAddrx3:
                Bytes.Put(into, Index(form, value) ?? Number(), 3);
                break;
            case Dw.FormData4 or Dw.FormRef4 or Dw.FormStrx4 or Dw.FormAddrx4:
                Bytes.Put(into, Reference(form, value, unit, owner) ?? Index(form, value) ?? Number(), 4);
                break;
            case Dw.FormData16:
                into.AddRange((byte[])value!);
                break;
            case Dw.FormSdata:
                Leb.S(into, Convert.ToInt64(value));
                break;
            case Dw.FormUdata or Dw.FormLoclistx or Dw.FormRnglistx:
                Leb.U(into, Number());
                break;
            case Dw.FormRefUdata:
                // Padded to five bytes so that layout does not depend on the offset.
                Leb.U(into, Reference(form, value, unit, owner) ?? 0, 5);
                break;
            case Dw.FormStrx or Dw.FormAddrx:
                Leb.U(into, Index(form, value) ?? Number());
                break;
            case Dw.FormString:
                into.AddRange(Encoding.UTF8.GetBytes((string)value!));
                into.Add(0);
                break;
            case Dw.FormStrp:
                Bytes.Put(into, value is string s ? (ulong)Str.Offset(s) : Number(), OffsetSize);
                break;
            case Dw.FormLineStrp:
                Bytes.Put(into, value is string ls ? (ulong)LineStr.Offset(ls) : Number(), OffsetSize);
                break;
            case Dw.FormSecOffset:
                Bytes.Put(into, Number(), OffsetSize);
                break;
            case Dw.FormRefAddr:
                Bytes.Put(into, value is DieNode target ? (ulong)target.Offset : Number(), Version <= 2 ? 8 : OffsetSize);
                break;
            case Dw.FormFlagPresent or Dw.FormImplicitConst:
                break;
            case Dw.FormBlock1:
                into.Add((byte)((byte[])value!).Length);
                into.AddRange((byte[])value!);
                break;
            case Dw.FormBlock2:
                Bytes.Put(into, (ulong)((byte[])value!).Length, 2);
                into.AddRange((byte[])value!);
                break;
            case Dw.FormBlock4:
                Bytes.Put(into, (ulong)((byte[])value!).Length, 4);
                into.AddRange((byte[])value!);
                break;
            case Dw.FormBlock or Dw.FormExprloc:
                Leb.U(into, (ulong)((byte[])value!).Length);
                into.AddRange((byte[])value!);
                break;
            default:
                throw new InvalidOperationException($"test DWARF writer: form 0x{form:x} is not supported");
        }
    }

    private static ulong? Reference(ushort form, object? value, UnitWriter? unit, DieNode? owner)
    {
        if (form is not (Dw.FormRef1 or Dw.FormRef2 or Dw.FormRef4 or Dw.FormRef8 or Dw.FormRefUdata))
        {
            return null;
        }

        if (unit is null)
        {
            return 0;
        }

        if (ReferenceEquals(value, NextSibling))
        {
            return (ulong)(owner!.End - unit.Offset);
        }

        return value is DieNode d ? (ulong)(d.Offset - unit.Offset) : unchecked((ulong)Convert.ToInt64(value));
    }

    private ulong? Index(ushort form, object? value)
    {
        if (value is string s && form is Dw.FormStrx or Dw.FormStrx1 or Dw.FormStrx2 or Dw.FormStrx3 or Dw.FormStrx4)
        {
            return (ulong)StringIndex(s);
        }

        if (value is ulong a && form is Dw.FormAddrx or Dw.FormAddrx1 or Dw.FormAddrx2 or Dw.FormAddrx3 or Dw.FormAddrx4)
        {
            return (ulong)AddressIndex(a);
        }

        return null;
    }

    private byte[] StrOffsets()
    {
        var b = new List<byte>();
        Bytes.UnitLength(b, 4 + (_strx.Count * OffsetSize), Dwarf64);
        Bytes.Put(b, 5, 2);
        Bytes.Put(b, 0, 2);
        foreach (var s in _strx)
        {
            Bytes.Put(b, (ulong)Str.Offset(s), OffsetSize);
        }

        return [.. b];
    }

    private byte[] AddrTable()
    {
        var b = new List<byte>();
        Bytes.UnitLength(b, 4 + (_addrx.Count * 8), Dwarf64);
        Bytes.Put(b, 5, 2);
        b.Add(8);
        b.Add(0);
        foreach (var a in _addrx)
        {
            Bytes.Put(b, a, 8);
        }

        return [.. b];
    }

    private void WriteAranges(UnitWriter u, List<byte> aranges)
    {
        var set = new List<byte>();
        Bytes.Put(set, 2, 2);
        Bytes.Put(set, (ulong)u.Offset, OffsetSize);
        set.Add(8);
        set.Add(0);
        int headerLength = (Dwarf64 ? 12 : 4) + set.Count;
        while ((headerLength % 16) != 0)
        {
            set.Add(0);
            headerLength++;
        }

        foreach (var (start, end) in u.Ranges)
        {
            Bytes.Put(set, start, 8);
            Bytes.Put(set, end - start, 8);
        }

        Bytes.Put(set, 0, 16);
        Bytes.UnitLength(aranges, set.Count, Dwarf64);
        aranges.AddRange(set);
    }
}
