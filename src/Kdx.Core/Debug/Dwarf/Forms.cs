namespace Kdx.Core.Debug.Dwarf;

/// <summary>What an attribute's value means, whatever its form (DWARF 5 §7.5.5, form classes).</summary>
internal enum FormClass : byte
{
    /// <summary>No value (an attribute the DIE does not have).</summary>
    None,

    /// <summary>A target address (DW_FORM_addr).</summary>
    Address,

    /// <summary>An index into .debug_addr (DW_FORM_addrx*).</summary>
    AddressIndex,

    /// <summary>An unsigned constant of <see cref="AttributeValue.Size"/> bytes (its sign depends on the attribute).</summary>
    Constant,

    /// <summary>A signed constant (DW_FORM_sdata, DW_FORM_implicit_const).</summary>
    SignedConstant,

    /// <summary>A 16-byte constant at <see cref="AttributeValue.Position"/>.</summary>
    Data16,

    /// <summary>A block of bytes at <see cref="AttributeValue.Position"/>.</summary>
    Block,

    /// <summary>A DWARF expression at <see cref="AttributeValue.Position"/>.</summary>
    Expression,

    /// <summary>A flag (0 or 1).</summary>
    Flag,

    /// <summary>A DIE reference, already made absolute (see <see cref="DwarfUnit.DieRef"/>).</summary>
    Reference,

    /// <summary>A type signature of a type unit (DW_FORM_ref_sig8).</summary>
    TypeSignature,

    /// <summary>A reference into a supplementary or dwz file, which the reader does not follow.</summary>
    ExternalReference,

    /// <summary>An offset into another section (DW_FORM_sec_offset, or data4/data8 before DWARF 4).</summary>
    SectionOffset,

    /// <summary>An index into the unit's location-list offsets (DW_FORM_loclistx).</summary>
    LocationListIndex,

    /// <summary>An index into the unit's range-list offsets (DW_FORM_rnglistx).</summary>
    RangeListIndex,

    /// <summary>A string in .debug_info itself, at <see cref="AttributeValue.Position"/>.</summary>
    InlineString,

    /// <summary>An offset into .debug_str.</summary>
    StringOffset,

    /// <summary>An offset into .debug_line_str.</summary>
    LineStringOffset,

    /// <summary>An index into the unit's .debug_str_offsets.</summary>
    StringIndex,

    /// <summary>A string in a supplementary file, which the reader does not follow.</summary>
    ExternalString,
}

/// <summary>One decoded attribute.</summary>
/// <param name="Name">DW_AT_*.</param>
/// <param name="Form">DW_FORM_* (after DW_FORM_indirect).</param>
/// <param name="Class">What the value means.</param>
/// <param name="Value">The number: a constant, address, index, offset or absolute DIE reference.</param>
/// <param name="Position">Where blocks, expressions, inline strings and 16-byte data start in the unit's section.</param>
/// <param name="Size">The byte size of a constant, or the length of a block or expression.</param>
internal readonly record struct AttributeValue(ushort Name, ushort Form, FormClass Class, ulong Value, int Position, int Size)
{
    /// <summary>Whether the DIE has the attribute.</summary>
    public bool Exists => Class != FormClass.None;

    /// <summary>The constant as a signed number (data1..data8 are sign-extended from their size).</summary>
    public long SignedValue => Class == FormClass.Constant && Size is > 0 and < 8
        ? (long)(Value << (64 - (Size * 8))) >> (64 - (Size * 8))
        : unchecked((long)Value);

    /// <summary>Whether the value is a plain number (a constant of any form).</summary>
    public bool IsConstant => Class is FormClass.Constant or FormClass.SignedConstant;
}

/// <summary>Sizes, skipping and decoding of attribute forms.</summary>
internal static class Forms
{
    /// <summary>Marks a form of variable size.</summary>
    public const int Variable = -1;

    /// <summary>Marks a form the reader does not know.</summary>
    public const int Unknown = -2;

    /// <summary>The byte size of a form's value in a unit of <paramref name="f"/>, or <see cref="Variable"/>/<see cref="Unknown"/>.</summary>
    public static int FixedSize(ushort form, UnitFormat f) => form switch
    {
        DwForm.FlagPresent or DwForm.ImplicitConst => 0,
        DwForm.Data1 or DwForm.Ref1 or DwForm.Flag or DwForm.Strx1 or DwForm.Addrx1 => 1,
        DwForm.Data2 or DwForm.Ref2 or DwForm.Strx2 or DwForm.Addrx2 => 2,
        DwForm.Strx3 or DwForm.Addrx3 => 3,
        DwForm.Data4 or DwForm.Ref4 or DwForm.RefSup4 or DwForm.Strx4 or DwForm.Addrx4 => 4,
        DwForm.Data8 or DwForm.Ref8 or DwForm.RefSig8 or DwForm.RefSup8 => 8,
        DwForm.Data16 => 16,
        DwForm.Addr => f.AddressSize,
        DwForm.RefAddr => f.Version <= 2 ? f.AddressSize : f.OffsetSize,
        DwForm.Strp or DwForm.LineStrp or DwForm.SecOffset or DwForm.StrpSup or DwForm.GnuRefAlt or DwForm.GnuStrpAlt => f.OffsetSize,
        DwForm.Block1 or DwForm.Block2 or DwForm.Block4 or DwForm.Block or DwForm.Exprloc or DwForm.String
            or DwForm.Sdata or DwForm.Udata or DwForm.RefUdata or DwForm.Strx or DwForm.Addrx
            or DwForm.Loclistx or DwForm.Rnglistx or DwForm.GnuAddrIndex or DwForm.GnuStrIndex or DwForm.Indirect => Variable,
        _ => Unknown,
    };

    /// <summary>Skips one value of <paramref name="form"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Skip(ref DwarfReader r, ushort form, UnitFormat f)
    {
        for (int guard = 0; ; guard++)
        {
            switch (form)
            {
                case DwForm.Block1:
                    r.Skip(r.U8());
                    return;
                case DwForm.Block2:
                    r.Skip(r.U16());
                    return;
                case DwForm.Block4:
                    r.Skip(r.U32());
                    return;
                case DwForm.Block or DwForm.Exprloc:
                    r.Skip(r.Uleb());
                    return;
                case DwForm.String:
                    r.CString();
                    return;
                case DwForm.Indirect:
                    CheckIndirect(ref r, guard);
                    form = (ushort)Math.Min(r.Uleb(), ushort.MaxValue);
                    continue;
                case DwForm.Sdata or DwForm.Udata or DwForm.RefUdata or DwForm.Strx or DwForm.Addrx
                    or DwForm.Loclistx or DwForm.Rnglistx or DwForm.GnuAddrIndex or DwForm.GnuStrIndex:
                    r.SkipLeb();
                    return;
                default:
                    int size = FixedSize(form, f);
                    if (size < 0)
                    {
                        throw r.Section.Error(r.Position, $"unknown attribute form 0x{form:x}");
                    }

                    r.Skip((ulong)size);
                    return;
            }
        }
    }

    /// <summary>Reads one value of <paramref name="form"/> for attribute <paramref name="name"/> of a DIE in <paramref name="unit"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static AttributeValue Read(ref DwarfReader r, ushort name, ushort form, long implicitConst, DwarfUnit unit)
    {
        var f = unit.Format;
        for (int guard = 0; ; guard++)
        {
            int at = r.Position;
            switch (form)
            {
                case DwForm.Addr:
                    return new(name, form, FormClass.Address, r.Unsigned(f.AddressSize), at, f.AddressSize);
                case DwForm.Data1:
                    return new(name, form, FormClass.Constant, r.U8(), at, 1);
                case DwForm.Data2:
                    return new(name, form, FormClass.Constant, r.U16(), at, 2);
                case DwForm.Data4 or DwForm.Data8:
                    {
                        int size = form == DwForm.Data4 ? 4 : 8;
                        ulong v = r.Unsigned(size);

                        // Before DWARF 4, data4/data8 also served as section offsets (lineptr, rangelistptr …).
                        var cls = f.Version < 4 && IsSectionPointer(name) ? FormClass.SectionOffset : FormClass.Constant;
                        return new(name, form, cls, v, at, size);
                    }

                case DwForm.Data16:
                    r.Skip(16);
                    return new(name, form, FormClass.Data16, 0, at, 16);
                case DwForm.Sdata:
                    return new(name, form, FormClass.SignedConstant, unchecked((ulong)r.Sleb()), at, 8);
                case DwForm.Udata:
                    return new(name, form, FormClass.Constant, r.Uleb(), at, 8);
                case DwForm.ImplicitConst:
                    return new(name, form, FormClass.SignedConstant, unchecked((ulong)implicitConst), at, 8);
                case DwForm.Flag:
                    return new(name, form, FormClass.Flag, r.U8() != 0 ? 1UL : 0, at, 1);
                case DwForm.FlagPresent:
                    return new(name, form, FormClass.Flag, 1, at, 0);
                case DwForm.Block1:
                    return Block(ref r, name, form, r.U8(), FormClass.Block);
                case DwForm.Block2:
                    return Block(ref r, name, form, r.U16(), FormClass.Block);
                case DwForm.Block4:
                    return Block(ref r, name, form, r.U32(), FormClass.Block);
                case DwForm.Block:
                    return Block(ref r, name, form, r.Uleb(), FormClass.Block);
                case DwForm.Exprloc:
                    return Block(ref r, name, form, r.Uleb(), FormClass.Expression);
                case DwForm.String:
                    {
                        int length = r.CString().Length;
                        return new(name, form, FormClass.InlineString, 0, at, length);
                    }

                case DwForm.Strp:
                    return new(name, form, FormClass.StringOffset, r.Offset(f.OffsetSize), at, 0);
                case DwForm.LineStrp:
                    return new(name, form, FormClass.LineStringOffset, r.Offset(f.OffsetSize), at, 0);
                case DwForm.StrpSup or DwForm.GnuStrpAlt:
                    return new(name, form, FormClass.ExternalString, r.Offset(f.OffsetSize), at, 0);
                case DwForm.Strx or DwForm.GnuStrIndex:
                    return new(name, form, FormClass.StringIndex, r.Uleb(), at, 0);
                case DwForm.Strx1:
                    return new(name, form, FormClass.StringIndex, r.U8(), at, 0);
                case DwForm.Strx2:
                    return new(name, form, FormClass.StringIndex, r.U16(), at, 0);
                case DwForm.Strx3:
                    return new(name, form, FormClass.StringIndex, r.U24(), at, 0);
                case DwForm.Strx4:
                    return new(name, form, FormClass.StringIndex, r.U32(), at, 0);
                case DwForm.Addrx or DwForm.GnuAddrIndex:
                    return new(name, form, FormClass.AddressIndex, r.Uleb(), at, 0);
                case DwForm.Addrx1:
                    return new(name, form, FormClass.AddressIndex, r.U8(), at, 0);
                case DwForm.Addrx2:
                    return new(name, form, FormClass.AddressIndex, r.U16(), at, 0);
                case DwForm.Addrx3:
                    return new(name, form, FormClass.AddressIndex, r.U24(), at, 0);
                case DwForm.Addrx4:
                    return new(name, form, FormClass.AddressIndex, r.U32(), at, 0);
                case DwForm.Ref1:
                    return Reference(unit, name, form, r.U8(), at);
                case DwForm.Ref2:
                    return Reference(unit, name, form, r.U16(), at);
                case DwForm.Ref4:
                    return Reference(unit, name, form, r.U32(), at);
                case DwForm.Ref8:
                    return Reference(unit, name, form, r.U64(), at);
                case DwForm.RefUdata:
                    return Reference(unit, name, form, r.Uleb(), at);
                case DwForm.RefAddr:
                    {
                        ulong offset = r.Unsigned(f.Version <= 2 ? f.AddressSize : f.OffsetSize);

                        // DW_FORM_ref_addr always points into .debug_info, even from a .debug_types unit.
                        return new(name, form, FormClass.Reference, offset, at, 0);
                    }

                case DwForm.RefSig8:
                    return new(name, form, FormClass.TypeSignature, r.U64(), at, 8);
                case DwForm.RefSup4:
                    return new(name, form, FormClass.ExternalReference, r.U32(), at, 4);
                case DwForm.RefSup8:
                    return new(name, form, FormClass.ExternalReference, r.U64(), at, 8);
                case DwForm.GnuRefAlt:
                    return new(name, form, FormClass.ExternalReference, r.Offset(f.OffsetSize), at, f.OffsetSize);
                case DwForm.SecOffset:
                    return new(name, form, FormClass.SectionOffset, r.Offset(f.OffsetSize), at, f.OffsetSize);
                case DwForm.Loclistx:
                    return new(name, form, FormClass.LocationListIndex, r.Uleb(), at, 0);
                case DwForm.Rnglistx:
                    return new(name, form, FormClass.RangeListIndex, r.Uleb(), at, 0);
                case DwForm.Indirect:
                    CheckIndirect(ref r, guard);
                    form = (ushort)Math.Min(r.Uleb(), ushort.MaxValue);
                    continue;
                default:
                    throw r.Section.Error(at, $"unknown attribute form 0x{form:x} (attribute 0x{name:x})");
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static AttributeValue Block(ref DwarfReader r, ushort name, ushort form, ulong length, FormClass cls)
    {
        int at = r.Position;
        r.Skip(length);
        return new(name, form, cls, length, at, (int)length);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static AttributeValue Reference(DwarfUnit unit, ushort name, ushort form, ulong relative, int at)
    {
        // Unit-relative; a value past the unit is kept as is and rejected when followed.
        ulong value = relative >= (ulong)unit.Length ? ulong.MaxValue : (ulong)unit.DieRef(unit.Offset + (long)relative);
        return new(name, form, FormClass.Reference, value, at, 0);
    }

    private static bool IsSectionPointer(ushort name) =>
        name is DwAt.StmtList or DwAt.Location or DwAt.Ranges or DwAt.StrOffsetsBase or DwAt.AddrBase
            or DwAt.RnglistsBase or DwAt.LoclistsBase or DwAt.GnuAddrBase or DwAt.GnuRangesBase;

    private static void CheckIndirect(ref DwarfReader r, int guard)
    {
        // Each DW_FORM_indirect consumes a byte, so a chain ends at the section end; refuse silly ones sooner.
        if (guard > 16)
        {
            throw r.Section.Error(r.Position, "a chain of more than 16 DW_FORM_indirect forms");
        }
    }
}
