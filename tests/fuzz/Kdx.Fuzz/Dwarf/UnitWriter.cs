namespace Kdx.Fuzz.Dwarf;

/// <summary>One unit of the test writer: a compile unit (or a type unit) with its DIE tree, line program and ranges.</summary>
public sealed class UnitWriter
{
    internal UnitWriter(DwarfWriter file, DieNode root, byte unitType)
    {
        File = file;
        Root = root;
        UnitType = unitType;
    }

    public DwarfWriter File { get; }

    /// <summary>The root DIE (DW_TAG_compile_unit, DW_TAG_type_unit).</summary>
    public DieNode Root { get; }

    /// <summary>DW_UT_compile or DW_UT_type.</summary>
    public byte UnitType { get; }

    /// <summary>A type unit's signature.</summary>
    public ulong TypeSignature { get; set; }

    /// <summary>A type unit's type DIE.</summary>
    public DieNode? TypeDie { get; set; }

    /// <summary>The unit's line program (adds DW_AT_stmt_list to the root).</summary>
    public LineProgramWriter? Lines { get; set; }

    /// <summary>The unit's code ranges (one: low_pc/high_pc; more: DW_AT_ranges), listed in .debug_aranges unless <see cref="InAranges"/> is false.</summary>
    public List<(ulong Start, ulong End)> Ranges { get; } = [];

    /// <summary>Whether .debug_aranges lists the unit's ranges.</summary>
    public bool InAranges { get; set; } = true;

    /// <summary>Refers to the range list by DW_FORM_rnglistx (DWARF 5) instead of an offset.</summary>
    public bool RangesByIndex { get; set; }

    /// <summary>The unit header's offset once built.</summary>
    public int Offset { get; internal set; }

    /// <summary>Adds a top-level DIE.</summary>
    public DieNode Add(ushort tag) => Root.Add(tag);

    /// <summary>A base type: name, size and DW_ATE_* encoding.</summary>
    public DieNode BaseType(string name, int size, byte encoding) =>
        Add(Dw.TagBaseType).Name(name).Size(size).A(Dw.AtEncoding, Dw.FormData1, encoding);

    /// <summary>A pointer to <paramref name="target"/> (void when null).</summary>
    public DieNode Pointer(DieNode? target)
    {
        var p = Add(Dw.TagPointerType).Size(8);
        return target is null ? p : p.Type(target);
    }

    /// <summary>A struct (or union) with members (name, type, byte offset).</summary>
    public DieNode Struct(string? name, int size, params (string? Name, DieNode Type, int Offset)[] members) => Compound(Dw.TagStructureType, name, size, members);

    /// <summary>A union.</summary>
    public DieNode Union(string? name, int size, params (string? Name, DieNode Type, int Offset)[] members) => Compound(Dw.TagUnionType, name, size, members);

    /// <summary>A typedef.</summary>
    public DieNode Typedef(string name, DieNode? target)
    {
        var t = Add(Dw.TagTypedef).Name(name);
        return target is null ? t : t.Type(target);
    }

    /// <summary>
    /// Adds a member at byte <paramref name="offset"/> (none for union members): a constant in DWARF 3+,
    /// a DW_OP_plus_uconst expression in DWARF 2, where constants were not allowed.
    /// </summary>
    public DieNode Member(DieNode parent, string? name, DieNode type, int? offset)
    {
        var m = parent.Add(Dw.TagMember);
        if (name is not null)
        {
            m.Name(name);
        }

        m.Type(type);
        if (offset is { } o)
        {
            var uleb = new List<byte>();
            Leb.U(uleb, (ulong)o);
            _ = File.Version == 2
                ? m.A(Dw.AtDataMemberLocation, Dw.FormBlock1, (byte[])[Dw.OpPlusUconst, .. uleb])
                : m.A(Dw.AtDataMemberLocation, Dw.FormData1, o);
        }

        return m;
    }

    private DieNode Compound(ushort tag, string? name, int size, (string? Name, DieNode Type, int Offset)[] members)
    {
        var s = Add(tag).Size(size);
        if (name is not null)
        {
            s.Name(name);
        }

        foreach (var (memberName, type, offset) in members)
        {
            Member(s, memberName, type, tag == Dw.TagUnionType ? null : offset);
        }

        s.ForceChildren = true;
        return s;
    }
}
