using Kdx.Core.Types;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>Structs, unions, enums and function types.</summary>
internal sealed partial class TypeBuilder
{
    private KType Compound(in Die die)
    {
        string? name = NameOf(die);
        var space = die.Tag == DwTag.UnionType ? IndexSpace.Union : IndexSpace.Struct;
        if (die.Declaration && name is not null && _complete(space, name) is { } complete && complete != die.Ref)
        {
            // "struct foo;" here, the definition in another unit: use the definition.
            return Type(complete, 0);
        }

        ulong size = Constant(die.ByteSize) ?? 0;
        var declared = Declared(die);
        Func<IReadOnlyList<KMember>>? members = null;
        if (!die.Declaration)
        {
            var parent = die;
            members = () => Members(parent);
        }

        return space == IndexSpace.Union ? KType.Union(name, size, members, declared) : KType.Struct(name, size, members, declared);
    }

    private List<KMember> Members(Die parent)
    {
        var result = new List<KMember>();
        foreach (var m in _file.Children(parent))
        {
            if (m.Tag != DwTag.Member)
            {
                continue; // nested type definitions, C++ methods and static members
            }

            var type = TypeOf(m, 0);
            int bitSize = (int)Math.Min(Constant(m.BitSize) ?? 0, int.MaxValue);
            result.Add(new KMember(NameOf(m), type, MemberBitOffset(m, type, bitSize), bitSize));
        }

        return result;
    }

    /// <summary>
    /// A member's offset in bits: DW_AT_data_bit_offset (DWARF 4+), or DW_AT_data_member_location in bytes
    /// (a constant, or an expression such as DW_OP_plus_uconst), adjusted for a DWARF 2/3 bit field, whose
    /// DW_AT_bit_offset counts from the most significant bit of a DW_AT_byte_size storage unit: on a
    /// little-endian target the field's lowest bit is byte_size*8 - bit_offset - bit_size.
    /// </summary>
    private static ulong MemberBitOffset(in Die m, QualifiedType type, int bitSize)
    {
        if (Constant(m.DataBitOffset) is { } dataBitOffset)
        {
            return dataBitOffset;
        }

        ulong bytes = m.DataMemberLocation.Class switch
        {
            FormClass.Constant or FormClass.SignedConstant => m.DataMemberLocation.Value,
            FormClass.Expression or FormClass.Block => Expressions.MemberOffset(m.Unit, m.DataMemberLocation),
            _ => 0,
        };

        ulong bits = unchecked(bytes * 8);
        if (m.BitOffset.IsConstant)
        {
            ulong storage = Constant(m.ByteSize) ?? type.Type.Unaliased().Size;
            long lowBit = ((long)storage * 8) - m.BitOffset.SignedValue - bitSize;
            bits = unchecked(bits + (ulong)lowBit);
        }

        return bits;
    }

    private KType Enum(in Die die)
    {
        string? name = NameOf(die);
        if (die.Declaration && name is not null && _complete(IndexSpace.Enum, name) is { } complete && complete != die.Ref)
        {
            return Type(complete, 0);
        }

        ulong size = Constant(die.ByteSize) ?? 0;
        QualifiedType? compatible = null;
        if (TryReference(die, die.Type, out long target))
        {
            compatible = Qualified(target, 1);
        }

        var values = new List<(string Name, AttributeValue Value)>();
        if (!die.Declaration)
        {
            foreach (var e in _file.Children(die))
            {
                if (e.Tag == DwTag.Enumerator)
                {
                    values.Add((NameOf(e) ?? "<unnamed>", e.ConstValue));
                }
            }
        }

        // Signed when the compatible type says so (DWARF 3+ DW_AT_type), else when a value is negative.
        bool signed = compatible is { } c
            ? c.Type.Unaliased().IsSigned
            : values.Exists(v => v.Value.Class == FormClass.SignedConstant && (long)v.Value.Value < 0);
        var enumerators = values.ConvertAll(v => new KEnumerator(v.Name, signed ? unchecked((ulong)v.Value.SignedValue) : v.Value.Value));
        IReadOnlyList<KEnumerator> list = enumerators;
        Func<IReadOnlyList<KEnumerator>>? lazyList = die.Declaration ? null : () => list;
        Func<QualifiedType>? lazyCompatible = compatible is { } ct ? () => ct : null;
        return KType.Enum(name, size, signed, lazyList, lazyCompatible, Declared(die));
    }

    private KType Function(in Die die)
    {
        // A concrete instance or a definition that names its declaration keeps the parameters there.
        var source = die;
        var children = _file.Children(die);
        for (int hop = 0; hop < DwarfFile.MaxReferenceChain && !children.Exists(IsParameter) && TryReference(source, source.Origin, out long origin); hop++)
        {
            source = _file.ReadDie(origin);
            children = _file.Children(source);
        }

        bool variadic = children.Exists(c => c.Tag == DwTag.UnspecifiedParameters);
        var parameters = children.FindAll(c => c.Tag == DwTag.FormalParameter);
        var self = die;
        return KType.Function(
            () => TypeOf(self, 0),
            () => parameters.ConvertAll(p => new KParameter(ParameterName(p), TypeOf(p, 0))),
            variadic);
    }

    private static bool IsParameter(Die d) => d.Tag is DwTag.FormalParameter or DwTag.UnspecifiedParameters;

    private string? ParameterName(in Die p)
    {
        var d = p;
        for (int hop = 0; hop < DwarfFile.MaxReferenceChain; hop++)
        {
            if (d.Name.Exists)
            {
                return NameOf(d);
            }

            if (!TryReference(d, d.Origin, out long origin))
            {
                return null;
            }

            d = _file.ReadDie(origin);
        }

        return null;
    }
}
