namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// One unit of .debug_info or .debug_types: its header (DWARF 5 §7.5.1.1 and the DWARF 2–4 layouts)
/// and, once read, the attributes of its root DIE that other DIEs depend on (string, address and
/// list bases, the line program, the base address, the names).
/// </summary>
internal sealed class DwarfUnit
{
    /// <summary>Tag added to offsets in .debug_types so that their DIE references never equal one in .debug_info.</summary>
    public const long TypesSectionTag = 1L << 40;

    private readonly object _lock = new();
    private volatile bool _rootRead;
    private AbbrevTable? _abbrevs;

    public DwarfUnit(DwarfSection section, bool inTypesSection, int index, int offset, int length, int firstDie, UnitFormat format, byte unitType, ulong abbrevOffset, ulong typeSignature, ulong typeOffset)
    {
        Section = section;
        InTypesSection = inTypesSection;
        Index = index;
        Offset = offset;
        Length = length;
        FirstDie = firstDie;
        Format = format;
        UnitType = unitType;
        AbbrevOffset = abbrevOffset;
        TypeSignature = typeSignature;
        TypeOffset = typeOffset;
    }

    /// <summary>The section the unit is in (.debug_info or .debug_types).</summary>
    public DwarfSection Section { get; }

    /// <summary>Whether the unit is in .debug_types (DWARF 4 type units).</summary>
    public bool InTypesSection { get; }

    /// <summary>The unit's position among all units.</summary>
    public int Index { get; }

    /// <summary>The offset of the unit header.</summary>
    public int Offset { get; }

    /// <summary>The unit's total length, header included.</summary>
    public int Length { get; }

    /// <summary>The offset just past the unit.</summary>
    public int End => Offset + Length;

    /// <summary>The offset of the root DIE.</summary>
    public int FirstDie { get; }

    /// <summary>Version and sizes.</summary>
    public UnitFormat Format { get; }

    /// <summary>DW_UT_* (DWARF 5), or the equivalent for older units.</summary>
    public byte UnitType { get; }

    /// <summary>The offset of the unit's abbreviation table.</summary>
    public ulong AbbrevOffset { get; }

    /// <summary>The type signature of a type unit.</summary>
    public ulong TypeSignature { get; }

    /// <summary>The unit-relative offset of a type unit's type DIE.</summary>
    public ulong TypeOffset { get; }

    /// <summary>Whether this is a type unit.</summary>
    public bool IsTypeUnit => UnitType is DwUt.Type or DwUt.SplitType;

    /// <summary>DW_AT_str_offsets_base (DWARF 5: the first entry after the table header).</summary>
    public ulong StrOffsetsBase { get; private set; }

    /// <summary>DW_AT_addr_base.</summary>
    public ulong AddrBase { get; private set; }

    /// <summary>DW_AT_rnglists_base.</summary>
    public ulong RnglistsBase { get; private set; }

    /// <summary>DW_AT_loclists_base.</summary>
    public ulong LoclistsBase { get; private set; }

    /// <summary>DW_AT_stmt_list: the line program's offset in .debug_line.</summary>
    public ulong? StmtList { get; private set; }

    /// <summary>The unit's base address (DW_AT_low_pc of the root DIE) for range and location lists.</summary>
    public ulong BaseAddress { get; private set; }

    /// <summary>The root DIE's DW_AT_low_pc/high_pc or DW_AT_ranges attributes.</summary>
    public AttributeValue LowPc { get; private set; }

    /// <summary>The root DIE's DW_AT_high_pc.</summary>
    public AttributeValue HighPc { get; private set; }

    /// <summary>The root DIE's DW_AT_ranges.</summary>
    public AttributeValue Ranges { get; private set; }

    /// <summary>The unit's source file name (DW_AT_name).</summary>
    public string? Name { get; private set; }

    /// <summary>The compilation directory (DW_AT_comp_dir).</summary>
    public string? CompDir { get; private set; }

    /// <summary>Turns a unit-relative or section offset into a DIE reference for this unit's section.</summary>
    public long DieRef(long sectionOffset) => InTypesSection ? sectionOffset | TypesSectionTag : sectionOffset;

    /// <summary>Whether <paramref name="dieRef"/> points inside this unit's DIEs.</summary>
    public bool Contains(long dieRef) =>
        (dieRef & TypesSectionTag) == (InTypesSection ? TypesSectionTag : 0) && (dieRef & ~TypesSectionTag) >= FirstDie && (dieRef & ~TypesSectionTag) < End;

    /// <summary>The abbreviation table, parsed on first use and kept.</summary>
    public AbbrevTable Abbrevs(DwarfFile file)
    {
        var t = _abbrevs;
        if (t is null)
        {
            t = AbbrevTable.Parse(file.Abbrev, AbbrevOffset, Format);
            Interlocked.CompareExchange(ref _abbrevs, t, null);
            t = _abbrevs;
        }

        return t;
    }

    /// <summary>Reads the root DIE's attributes once (with <paramref name="abbrevs"/>, or the kept table).</summary>
    public void EnsureRoot(DwarfFile file, AbbrevTable? abbrevs = null)
    {
        if (_rootRead)
        {
            return;
        }

        lock (_lock)
        {
            if (!_rootRead)
            {
                // A table parsed only for this is not kept: most units never need theirs again.
                ReadRoot(file, abbrevs ?? _abbrevs ?? AbbrevTable.Parse(file.Abbrev, AbbrevOffset, Format));
                _rootRead = true;
            }
        }
    }

    private void ReadRoot(DwarfFile file, AbbrevTable abbrevs)
    {
        // DWARF 5 §7.26/§7.27/§7.28/§7.29: without an explicit base, the tables start right after their
        // header (8 bytes in 32-bit DWARF, 16 in 64-bit).
        ulong defaultBase = Format.Version >= 5 ? (Format.OffsetSize == 8 ? 16UL : 8UL) : 0;
        StrOffsetsBase = defaultBase;
        AddrBase = defaultBase;
        var r = Section.Reader(FirstDie);
        ulong code = r.Uleb();
        if (code == 0)
        {
            return;
        }

        ref readonly var a = ref abbrevs.Get(code, Section, FirstDie);
        AttributeValue name = default, compDir = default;
        foreach (var spec in abbrevs.SpecsOf(a))
        {
            var v = Forms.Read(ref r, spec.Name, spec.Form, spec.ImplicitConst, this);
            switch (spec.Name)
            {
                case DwAt.StrOffsetsBase:
                    StrOffsetsBase = v.Value;
                    break;
                case DwAt.AddrBase or DwAt.GnuAddrBase:
                    AddrBase = v.Value;
                    break;
                case DwAt.RnglistsBase or DwAt.GnuRangesBase:
                    RnglistsBase = v.Value;
                    break;
                case DwAt.LoclistsBase:
                    LoclistsBase = v.Value;
                    break;
                case DwAt.StmtList when v.Class is FormClass.SectionOffset or FormClass.Constant:
                    StmtList = v.Value;
                    break;
                case DwAt.LowPc:
                    LowPc = v;
                    break;
                case DwAt.HighPc:
                    HighPc = v;
                    break;
                case DwAt.Ranges:
                    Ranges = v;
                    break;
                case DwAt.Name:
                    name = v;
                    break;
                case DwAt.CompDir:
                    compDir = v;
                    break;
            }
        }

        // Strings and addresses may need the bases read above, whatever the attribute order.
        if (LowPc.Exists)
        {
            BaseAddress = file.TryAddress(this, LowPc, out var low) ? low : 0;
        }

        Name = name.Exists ? file.String(this, name) : null;
        CompDir = compDir.Exists ? file.String(this, compDir) : null;
    }
}
