namespace Kdx.Core.Debug.Dwarf;

/// <summary>One attribute of an abbreviation: its name and form (DWARF 5 §7.5.3).</summary>
/// <param name="Name">DW_AT_*.</param>
/// <param name="Form">DW_FORM_*.</param>
/// <param name="ImplicitConst">The value of a DW_FORM_implicit_const attribute.</param>
/// <param name="FixedOffset">The attribute's offset from the start of the DIE's attributes when every
/// attribute before it has a fixed size, else -1: lets the index read one attribute without decoding the rest.</param>
/// <param name="Size">The value's byte size when the form has a fixed size, else negative.</param>
internal readonly record struct AttributeSpec(ushort Name, ushort Form, long ImplicitConst, int FixedOffset, int Size);

/// <summary>One abbreviation: a DIE's tag, whether it has children, and its attributes.</summary>
/// <param name="Code">The abbreviation code (0 marks an empty slot).</param>
/// <param name="Tag">DW_TAG_*.</param>
/// <param name="HasChildren">Whether DIEs with this abbreviation own children.</param>
/// <param name="FirstSpec">Where its attributes start in <see cref="AbbrevTable.Specs"/>.</param>
/// <param name="SpecCount">How many attributes it has.</param>
/// <param name="FixedSize">The byte size of all its attributes when every form has a fixed size, else -1.</param>
/// <param name="Sibling">The index (within its attributes) of DW_AT_sibling, or -1.</param>
internal readonly record struct Abbrev(ulong Code, ushort Tag, bool HasChildren, int FirstSpec, int SpecCount, int FixedSize, int Sibling);

/// <summary>
/// The abbreviation table of a unit, parsed from .debug_abbrev for the unit's format (the fixed sizes
/// of forms depend on it). Codes are looked up in a dense array when they are (as producers write them)
/// numbered from 1, else in a dictionary.
/// </summary>
internal sealed class AbbrevTable
{
    private readonly Abbrev[] _dense;
    private readonly Dictionary<ulong, Abbrev>? _sparse;
    private readonly DwarfSection _section;

    private AbbrevTable(DwarfSection section, ulong offset, Abbrev[] dense, Dictionary<ulong, Abbrev>? sparse, AttributeSpec[] specs)
    {
        _section = section;
        Offset = offset;
        _dense = dense;
        _sparse = sparse;
        Specs = specs;
    }

    /// <summary>The table's offset in .debug_abbrev.</summary>
    public ulong Offset { get; }

    /// <summary>The attributes of every abbreviation, one after another.</summary>
    public AttributeSpec[] Specs { get; }

    /// <summary>Parses the table at <paramref name="offset"/> for units of format <paramref name="format"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static AbbrevTable Parse(DwarfSection abbrevs, ulong offset, UnitFormat format)
    {
        if (offset >= (ulong)abbrevs.Length)
        {
            throw abbrevs.Error((long)Math.Min(offset, long.MaxValue), $"an abbreviation table offset past the end of the section ({abbrevs.Length} bytes)");
        }

        var r = abbrevs.Reader((int)offset);
        var list = new List<Abbrev>();
        var specs = new List<AttributeSpec>();
        ulong maxCode = 0;
        while (true)
        {
            int entryAt = r.Position;
            ulong code = r.Uleb();
            if (code == 0)
            {
                break;
            }

            ulong tag = r.Uleb();
            byte children = r.U8();
            if (children > 1)
            {
                throw abbrevs.Error(entryAt, $"abbreviation {code} has a children flag of {children} (only 0 or 1)");
            }

            int first = specs.Count;
            int fixedOffset = 0;
            int sibling = -1;
            while (true)
            {
                ulong name = r.Uleb();
                ulong form = r.Uleb();
                if (name == 0 && form == 0)
                {
                    break;
                }

                if (name > ushort.MaxValue || form > ushort.MaxValue || Forms.FixedSize((ushort)form, format) == Forms.Unknown)
                {
                    throw abbrevs.Error(entryAt, $"abbreviation {code} has attribute 0x{name:x} with unknown form 0x{form:x}");
                }

                long implicitConst = form == DwForm.ImplicitConst ? r.Sleb() : 0;
                if (name == DwAt.Sibling && sibling < 0)
                {
                    sibling = specs.Count - first;
                }

                int size = Forms.FixedSize((ushort)form, format);
                specs.Add(new AttributeSpec((ushort)name, (ushort)form, implicitConst, fixedOffset, size));
                fixedOffset = fixedOffset >= 0 && size >= 0 ? fixedOffset + size : -1;
            }

            if (tag > ushort.MaxValue)
            {
                throw abbrevs.Error(entryAt, $"abbreviation {code} has tag 0x{tag:x}, beyond the 16-bit tag space");
            }

            list.Add(new Abbrev(code, (ushort)tag, children == 1, first, specs.Count - first, fixedOffset, sibling));
            maxCode = Math.Max(maxCode, code);
        }

        // Producers number codes 1, 2, 3 …; index those directly and fall back to a map for anything else.
        var specArray = specs.ToArray();
        if (maxCode <= (ulong)(list.Count * 2) + 16)
        {
            var dense = new Abbrev[maxCode + 1];
            foreach (var a in list)
            {
                if (dense[a.Code].Code != 0)
                {
                    throw abbrevs.Error((long)offset, $"the abbreviation table defines code {a.Code} twice");
                }

                dense[a.Code] = a;
            }

            return new AbbrevTable(abbrevs, offset, dense, null, specArray);
        }

        var sparse = new Dictionary<ulong, Abbrev>(list.Count);
        foreach (var a in list)
        {
            if (!sparse.TryAdd(a.Code, a))
            {
                throw abbrevs.Error((long)offset, $"the abbreviation table defines code {a.Code} twice");
            }
        }

        return new AbbrevTable(abbrevs, offset, [], sparse, specArray);
    }

    /// <summary>The abbreviation with <paramref name="code"/>; throws for a code the table does not define.</summary>
    public ref readonly Abbrev Get(ulong code, DwarfSection info, int dieOffset)
    {
        if (code < (ulong)_dense.Length && _dense[code].Code != 0)
        {
            return ref _dense[code];
        }

        if (_sparse is not null && _sparse.TryGetValue(code, out _))
        {
            return ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_sparse, code);
        }

        throw info.Error(dieOffset, $"DIE uses abbreviation code {code}, which the table at {_section.Name} offset 0x{Offset:x} does not define");
    }

    /// <summary>The attributes of <paramref name="a"/>.</summary>
    public ReadOnlySpan<AttributeSpec> SpecsOf(in Abbrev a) => Specs.AsSpan(a.FirstSpec, a.SpecCount);
}
