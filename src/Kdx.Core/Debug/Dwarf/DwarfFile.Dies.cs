namespace Kdx.Core.Debug.Dwarf;

/// <summary>Reading DIEs on demand: one DIE's attributes, its children, skipping subtrees.</summary>
internal sealed partial class DwarfFile
{
    /// <summary>The most DIE-to-DIE hops (specification, origin, typedef and qualifier chains) before a loop is assumed.</summary>
    public const int MaxReferenceChain = 64;

    /// <summary>Reads the DIE at <paramref name="dieRef"/>; throws for a reference outside every unit.</summary>
    public Die ReadDie(long dieRef)
    {
        var unit = UnitOf(dieRef);
        return ReadDie(unit, unit.Abbrevs(this), (int)(dieRef & ~DwarfUnit.TypesSectionTag));
    }

    /// <summary>Reads the DIE at <paramref name="offset"/> of <paramref name="unit"/> (a null entry has tag 0).</summary>
    public static Die ReadDie(DwarfUnit unit, AbbrevTable table, int offset)
    {
        var section = unit.Section;
        if (offset < unit.FirstDie || offset >= unit.End)
        {
            throw section.Error(offset, $"a DIE offset outside its unit (0x{unit.Offset:x}..0x{unit.End:x})");
        }

        var r = section.Reader(offset);
        var die = new Die { Ref = unit.DieRef(offset), Unit = unit };
        ulong code = r.Uleb();
        if (code == 0)
        {
            die.AttributesEnd = r.Position;
            return die;
        }

        ref readonly var a = ref table.Get(code, section, offset);
        die.Tag = a.Tag;
        die.HasChildren = a.HasChildren;
        foreach (var spec in table.SpecsOf(a))
        {
            if (!Wanted(spec.Name))
            {
                Forms.Skip(ref r, spec.Form, unit.Format);
                continue;
            }

            var v = Forms.Read(ref r, spec.Name, spec.Form, spec.ImplicitConst, unit);
            Store(ref die, v);
        }

        if (r.Position > unit.End)
        {
            throw section.Error(offset, $"the DIE's attributes run past the end of its unit (0x{unit.End:x})");
        }

        die.AttributesEnd = r.Position;
        return die;
    }

    /// <summary>Every attribute of the DIE at <paramref name="dieRef"/>, in abbreviation order (for dumps and tests).</summary>
    public List<AttributeValue> Attributes(long dieRef)
    {
        var unit = UnitOf(dieRef);
        var table = unit.Abbrevs(this);
        int offset = (int)(dieRef & ~DwarfUnit.TypesSectionTag);
        var r = unit.Section.Reader(offset);
        ulong code = r.Uleb();
        var result = new List<AttributeValue>();
        if (code == 0)
        {
            return result;
        }

        ref readonly var a = ref table.Get(code, unit.Section, offset);
        foreach (var spec in table.SpecsOf(a))
        {
            result.Add(Forms.Read(ref r, spec.Name, spec.Form, spec.ImplicitConst, unit));
        }

        return result;
    }

    /// <summary>The children of <paramref name="parent"/>, in order (null entries excluded).</summary>
    public List<Die> Children(in Die parent)
    {
        var result = new List<Die>();
        if (!parent.HasChildren)
        {
            return result;
        }

        var unit = parent.Unit;
        var table = unit.Abbrevs(this);
        int at = parent.AttributesEnd;
        while (true)
        {
            if (at >= unit.End)
            {
                throw unit.Section.Error(parent.Offset, "the DIE's children run past the end of its unit (no null entry)");
            }

            var child = ReadDie(unit, table, at);
            if (child.IsNull)
            {
                return result;
            }

            result.Add(child);
            at = NextSibling(child, table);
        }
    }

    /// <summary>The offset of the DIE after <paramref name="die"/> and its subtree.</summary>
    public static int NextSibling(in Die die, AbbrevTable table)
    {
        if (!die.HasChildren)
        {
            return die.AttributesEnd;
        }

        if (die.Sibling.Class == FormClass.Reference && die.Unit.Contains((long)die.Sibling.Value))
        {
            int sibling = (int)((long)die.Sibling.Value & ~DwarfUnit.TypesSectionTag);
            if (sibling > die.Offset)
            {
                return sibling;
            }
        }

        return SkipSubtree(die.Unit, table, die.AttributesEnd);
    }

    /// <summary>
    /// Skips the children starting at <paramref name="offset"/> up to and including the null entry that
    /// ends them, using DW_AT_sibling where a DIE has one. Every step moves forward, so it ends.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static int SkipSubtree(DwarfUnit unit, AbbrevTable table, int offset)
    {
        var section = unit.Section;
        var r = section.Reader(offset);
        int depth = 1;
        var format = unit.Format;
        while (depth > 0)
        {
            if (r.Position >= unit.End)
            {
                throw section.Error(offset, "a DIE's children run past the end of their unit (no null entry)");
            }

            int dieAt = r.Position;
            ulong code = r.Uleb();
            if (code == 0)
            {
                depth--;
                continue;
            }

            ref readonly var a = ref table.Get(code, section, dieAt);
            if (a.HasChildren && a.Sibling >= 0 && TrySiblingOffset(ref r, table, a, unit, dieAt, out int next))
            {
                r.Position = next;
                continue;
            }

            SkipAttributes(ref r, table, a, format);
            if (a.HasChildren)
            {
                depth++;
            }
        }

        return r.Position;
    }

    /// <summary>Skips all attributes of a DIE with abbreviation <paramref name="a"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void SkipAttributes(ref DwarfReader r, AbbrevTable table, in Abbrev a, UnitFormat format)
    {
        if (a.FixedSize >= 0)
        {
            r.Skip((ulong)a.FixedSize);
            return;
        }

        foreach (ref readonly var spec in table.SpecsOf(a))
        {
            if (spec.Size >= 0)
            {
                r.Skip((ulong)spec.Size);
            }
            else
            {
                Forms.Skip(ref r, spec.Form, format);
            }
        }
    }

    /// <summary>
    /// Reads DW_AT_sibling of the DIE whose attributes start at the reader's position, leaving the reader
    /// past them when it returns false. The sibling must lie forward of the DIE and inside the unit.
    /// </summary>
    private static bool TrySiblingOffset(ref DwarfReader r, AbbrevTable table, in Abbrev a, DwarfUnit unit, int dieAt, out int next)
    {
        var specs = table.SpecsOf(a);
        int start = r.Position;
        var spec = specs[a.Sibling];
        if (spec.FixedOffset >= 0)
        {
            r.Position = start + spec.FixedOffset;
        }
        else
        {
            for (int i = 0; i < a.Sibling; i++)
            {
                Forms.Skip(ref r, specs[i].Form, unit.Format);
            }
        }

        var v = Forms.Read(ref r, spec.Name, spec.Form, spec.ImplicitConst, unit);
        long target = (long)v.Value & ~DwarfUnit.TypesSectionTag;
        if (v.Class == FormClass.Reference && v.Value != ulong.MaxValue && target > dieAt && target <= unit.End && unit.DieRef(target) == (long)v.Value)
        {
            next = (int)target;
            return true;
        }

        r.Position = start;
        SkipAttributes(ref r, table, a, unit.Format);
        next = 0;
        return false;
    }

    private static bool Wanted(ushort name) => name is DwAt.Name or DwAt.Type or DwAt.ByteSize or DwAt.BitSize or DwAt.BitOffset
        or DwAt.DataBitOffset or DwAt.DataMemberLocation or DwAt.Encoding or DwAt.UpperBound or DwAt.LowerBound or DwAt.Count
        or DwAt.ConstValue or DwAt.DeclFile or DwAt.DeclLine or DwAt.Specification or DwAt.AbstractOrigin or DwAt.Sibling
        or DwAt.LowPc or DwAt.HighPc or DwAt.Ranges or DwAt.Location or DwAt.Declaration or DwAt.External or DwAt.Prototyped or DwAt.Inline;

    private static void Store(ref Die die, in AttributeValue v)
    {
        switch (v.Name)
        {
            case DwAt.Name: die.Name = v; break;
            case DwAt.Type: die.Type = v; break;
            case DwAt.ByteSize: die.ByteSize = v; break;
            case DwAt.BitSize: die.BitSize = v; break;
            case DwAt.BitOffset: die.BitOffset = v; break;
            case DwAt.DataBitOffset: die.DataBitOffset = v; break;
            case DwAt.DataMemberLocation: die.DataMemberLocation = v; break;
            case DwAt.Encoding: die.Encoding = v; break;
            case DwAt.UpperBound: die.UpperBound = v; break;
            case DwAt.LowerBound: die.LowerBound = v; break;
            case DwAt.Count: die.Count = v; break;
            case DwAt.ConstValue: die.ConstValue = v; break;
            case DwAt.DeclFile: die.DeclFile = v; break;
            case DwAt.DeclLine: die.DeclLine = v; break;
            case DwAt.Specification: die.Specification = v; break;
            case DwAt.AbstractOrigin: die.AbstractOrigin = v; break;
            case DwAt.Sibling: die.Sibling = v; break;
            case DwAt.LowPc: die.LowPc = v; break;
            case DwAt.HighPc: die.HighPc = v; break;
            case DwAt.Ranges: die.Ranges = v; break;
            case DwAt.Location: die.Location = v; break;
            case DwAt.Declaration: die.Declaration = v.Value != 0; break;
            case DwAt.External: die.External = v.Value != 0; break;
            case DwAt.Prototyped: die.Prototyped = v.Value != 0; break;
            case DwAt.Inline: die.Inline = true; break;
        }
    }
}
