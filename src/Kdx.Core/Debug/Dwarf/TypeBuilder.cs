using System.Collections.Concurrent;
using Kdx.Core.Types;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// Turns type DIEs into <see cref="KType"/>s on demand: each DIE once (the same DIE gives the same
/// instance), with struct members, enumerators, parameters and pointer targets produced lazily so
/// that types referring to each other cost nothing until followed. Chains that must be followed at
/// once (typedefs and arrays need their target's size) are bounded, so a reference loop in a corrupt
/// file is an error, not a stack overflow.
/// </summary>
internal sealed partial class TypeBuilder
{
    private readonly DwarfFile _file;
    private readonly Func<IndexSpace, string, long?> _complete;
    private readonly Func<DwarfUnit, ulong, string?> _fileName;
    private readonly ConcurrentDictionary<long, KType> _types = new();

    /// <param name="file">The DWARF.</param>
    /// <param name="complete">Finds the complete definition of a struct, union or enum by name (for declarations).</param>
    /// <param name="fileName">Names file number N of a unit's line table (for DW_AT_decl_file).</param>
    public TypeBuilder(DwarfFile file, Func<IndexSpace, string, long?> complete, Func<DwarfUnit, ulong, string?> fileName)
    {
        _file = file;
        _complete = complete;
        _fileName = fileName;
    }

    /// <summary>The type a type DIE describes (qualifiers, if it is a qualifier DIE, are dropped).</summary>
    public KType Type(long dieRef) => Type(dieRef, 0);

    /// <summary>The type a DIE refers to, qualifiers included (const, volatile, restrict, _Atomic DIEs).</summary>
    public QualifiedType Qualified(long dieRef) => Qualified(dieRef, 0);

    /// <summary>
    /// The type of a variable, member or function DIE (DW_AT_type, looked up through DW_AT_specification and
    /// DW_AT_abstract_origin when the DIE itself has none); void when there is none.
    /// </summary>
    public QualifiedType TypeOf(in Die die) => TypeOf(die, 0);

    /// <summary>The function type of a subprogram DIE.</summary>
    public KType FunctionOf(long dieRef) => Type(dieRef, 0);

    private KType Type(long dieRef, int depth)
    {
        if (_types.TryGetValue(dieRef, out var known))
        {
            return known;
        }

        CheckDepth(dieRef, depth);
        var die = _file.ReadDie(dieRef);
        var type = Build(die, depth);
        return _types.GetOrAdd(dieRef, type);
    }

    private QualifiedType Qualified(long dieRef, int depth)
    {
        var q = Qualifiers.None;
        for (; ; depth++)
        {
            CheckDepth(dieRef, depth);
            if (_types.TryGetValue(dieRef, out var known))
            {
                return new QualifiedType(known, q);
            }

            var die = _file.ReadDie(dieRef);
            var add = die.Tag switch
            {
                DwTag.ConstType => Qualifiers.Const,
                DwTag.VolatileType => Qualifiers.Volatile,
                DwTag.RestrictType => Qualifiers.Restrict,
                DwTag.AtomicType => Qualifiers.Atomic,
                _ => Qualifiers.None,
            };

            if (add == Qualifiers.None && die.Tag != DwTag.SharedType)
            {
                return new QualifiedType(_types.GetOrAdd(dieRef, Build(die, depth)), q);
            }

            q |= add;
            if (!TryReference(die, die.Type, out dieRef))
            {
                return new QualifiedType(KType.Void, q);
            }
        }
    }

    private QualifiedType TypeOf(in Die die, int depth)
    {
        var d = die;
        for (int hop = 0; hop < DwarfFile.MaxReferenceChain; hop++)
        {
            if (d.Type.Exists)
            {
                return TryReference(d, d.Type, out long target) ? Qualified(target, depth + 1) : KType.Void;
            }

            if (!TryReference(d, d.Origin, out long origin))
            {
                return KType.Void;
            }

            d = _file.ReadDie(origin);
        }

        throw die.Unit.Section.Error(die.Offset, "a loop of DW_AT_specification/DW_AT_abstract_origin references");
    }

    private KType Build(in Die die, int depth) => die.Tag switch
    {
        DwTag.BaseType => BaseType(die),
        DwTag.UnspecifiedType => KType.Void,
        DwTag.PointerType or DwTag.ReferenceType or 0x42 => Pointer(die),
        DwTag.Typedef => Typedef(die, depth),
        DwTag.ArrayType => Array(die, depth),
        DwTag.StructureType or DwTag.ClassType or DwTag.UnionType => Compound(die),
        DwTag.EnumerationType => Enum(die),
        DwTag.SubroutineType or DwTag.Subprogram => Function(die),
        DwTag.ConstType or DwTag.VolatileType or DwTag.RestrictType or DwTag.AtomicType or DwTag.SharedType => Qualified(die.Ref, depth).Type,
        _ => throw die.Unit.Section.Error(die.Offset, $"DIE with tag 0x{die.Tag:x} is not a type"),
    };

    private KType BaseType(in Die die)
    {
        string name = NameOf(die) ?? "<unnamed>";
        ulong size = Constant(die.ByteSize) ?? 0;
        return (byte)die.Encoding.Value switch
        {
            DwAte.Boolean => KType.Bool(name, size),
            DwAte.Float or DwAte.ComplexFloat or DwAte.ImaginaryFloat or DwAte.DecimalFloat => KType.Float(name, size),
            DwAte.Signed or DwAte.SignedChar or DwAte.SignedFixed => KType.Int(name, size, signed: true),
            _ => KType.Int(name, size, signed: false),
        };
    }

    private KType Pointer(in Die die)
    {
        ulong size = Constant(die.ByteSize) ?? die.Unit.Format.AddressSize;
        long target = TryReference(die, die.Type, out long t) ? t : -1;
        return target < 0 ? KType.Pointer(KType.Void, size) : KType.Pointer(() => Qualified(target, 0), size);
    }

    private KType Typedef(in Die die, int depth)
    {
        string name = NameOf(die) ?? "<unnamed>";
        if (!TryReference(die, die.Type, out long target))
        {
            return KType.Typedef(name, KType.Void, Declared(die));
        }

        // The size is needed now; following the target builds its type (members stay lazy).
        var resolved = Qualified(target, depth + 1);
        return KType.Typedef(name, () => resolved, resolved.Type.Unaliased().Size, Declared(die));
    }

    private KType Array(in Die die, int depth)
    {
        var element = TryReference(die, die.Type, out long target) ? Qualified(target, depth + 1) : KType.Void;
        var lengths = new List<ulong?>();
        foreach (var child in _file.Children(die))
        {
            if (child.Tag is DwTag.SubrangeType or DwTag.EnumerationType)
            {
                lengths.Add(SubrangeLength(child));
            }
        }

        if (lengths.Count == 0)
        {
            lengths.Add(null);
        }

        // int a[2][3] is an array of 2 arrays of 3 ints: build from the innermost dimension out.
        var type = element;
        for (int i = lengths.Count - 1; i >= 0; i--)
        {
            var inner = type;
            type = KType.Array(() => inner, lengths[i], inner.Type.Unaliased().Size);
        }

        return type.Type;
    }

    private static ulong? SubrangeLength(in Die subrange)
    {
        if (Constant(subrange.Count) is { } count)
        {
            return count;
        }

        if (!subrange.UpperBound.IsConstant)
        {
            return null; // no bound: a flexible array; a DIE or expression bound: a variable-length array
        }

        long upper = Bound(subrange.UpperBound);
        long lower = subrange.LowerBound.IsConstant ? Bound(subrange.LowerBound) : 0;
        return upper < lower ? 0 : (ulong)(upper - lower + 1);
    }

    // GCC writes C array bounds as unsigned DW_FORM_data1/2/4 (u8 fill[168] has upper bound 167 in a data1,
    // not -89); a negative bound (a zero-length array's -1) comes as sdata or a full data8, as gdb reads it.
    private static long Bound(in AttributeValue bound) =>
        bound.Class == FormClass.Constant && bound.Size is > 0 and < 8 ? (long)bound.Value : bound.SignedValue;

    private string? NameOf(in Die die) => die.Name.Exists ? _file.String(die.Unit, die.Name) : null;

    private SourceLocation? Declared(in Die die)
    {
        if (Constant(die.DeclFile) is not { } file || Constant(die.DeclLine) is not { } line)
        {
            return null;
        }

        string? name = _fileName(die.Unit, file);
        return name is null ? null : new SourceLocation(name, (int)Math.Min(line, int.MaxValue));
    }

    /// <summary>A constant attribute's value, or null when the DIE does not have it as a constant.</summary>
    private static ulong? Constant(in AttributeValue v) => v.IsConstant ? v.Value : null;

    private bool TryReference(in Die from, in AttributeValue v, out long target)
    {
        switch (v.Class)
        {
            case FormClass.Reference when v.Value != ulong.MaxValue:
                target = (long)v.Value;
                return true;
            case FormClass.Reference:
                throw from.Unit.Section.Error(from.Offset, $"attribute 0x{v.Name:x} refers past the end of its unit");
            case FormClass.TypeSignature:
                {
                    var unit = _file.TypeUnit(v.Value)
                        ?? throw from.Unit.Section.Error(from.Offset, $"no type unit has signature 0x{v.Value:x16}");
                    target = unit.DieRef(unit.Offset + (long)unit.TypeOffset);
                    return true;
                }

            default:
                target = -1;
                return false;
        }
    }

    private void CheckDepth(long dieRef, int depth)
    {
        if (depth > DwarfFile.MaxReferenceChain)
        {
            throw new Kdx.Core.Dumps.DumpFormatException(_file.Name, $"a loop of type references (more than {DwarfFile.MaxReferenceChain} hops) at .debug_info offset 0x{dieRef & ~DwarfUnit.TypesSectionTag:x}");
        }
    }
}
