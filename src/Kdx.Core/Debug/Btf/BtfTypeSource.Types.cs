using Kdx.Core.Dumps;
using Kdx.Core.Types;

namespace Kdx.Core.Debug.Btf;

/// <summary>Turning BTF records into <see cref="KType"/>s.</summary>
public sealed partial class BtfTypeSource
{
    /// <summary>
    /// The type with id <paramref name="id"/> and its qualifiers: CONST, VOLATILE and RESTRICT records
    /// become <see cref="Qualifiers"/>, TYPE_TAG records (__user, __rcu …) are passed through, and ids of
    /// the base BTF are resolved by the base source (so a module's types share the vmlinux's objects).
    /// Throws <see cref="DumpFormatException"/> for an id out of range or one that is not a type (FUNC, VAR,
    /// DATASEC, DECL_TAG).
    /// </summary>
    public QualifiedType Resolve(int id)
    {
        var qualifiers = Qualifiers.None;
        for (int hops = 0; hops <= _data.EndId; hops++)
        {
            if (id == 0)
            {
                return new QualifiedType(KType.Void, qualifiers);
            }

            if (id < _data.FirstId && _base is not null)
            {
                var inBase = _base.Resolve(id);
                return inBase with { Qualifiers = inBase.Qualifiers | qualifiers };
            }

            var r = _data.Record(id);
            switch (r.Kind)
            {
                case BtfKind.Const:
                    qualifiers |= Qualifiers.Const;
                    break;
                case BtfKind.Volatile:
                    qualifiers |= Qualifiers.Volatile;
                    break;
                case BtfKind.Restrict:
                    qualifiers |= Qualifiers.Restrict;
                    break;
                case BtfKind.TypeTag:
                    break;
                case BtfKind.Function or BtfKind.Variable or BtfKind.DataSection or BtfKind.DeclTag:
                    throw new DumpFormatException(_data.Name, r.Offset, $"BTF type {id} is a {r.Kind}, not a type");
                default:
                    return new QualifiedType(TypeAt(id), qualifiers);
            }

            id = (int)r.SizeOrType;
        }

        throw new DumpFormatException(_data.Name, $"BTF type {id}: the qualifier chain does not end");
    }

    /// <summary>
    /// sizeof the type <paramref name="id"/> without building it: through typedefs and qualifiers, element
    /// size times length for arrays, the pointer size for pointers, 0 for void, functions and declarations.
    /// </summary>
    public ulong SizeOf(int id)
    {
        ulong factor = 1;
        for (int hops = 0; hops <= _data.EndId; hops++)
        {
            if (id == 0)
            {
                return 0;
            }

            var r = _data.Record(id);
            switch (r.Kind)
            {
                case BtfKind.Int or BtfKind.Enum or BtfKind.Enum64 or BtfKind.Struct or BtfKind.Union or BtfKind.Float or BtfKind.DataSection:
                    return unchecked(factor * r.SizeOrType);
                case BtfKind.Pointer:
                    return unchecked(factor * (ulong)_pointerSize);
                case BtfKind.Array:
                    factor = unchecked(factor * r.Word(2));
                    id = (int)r.Word(0);
                    continue;
                case BtfKind.Typedef or BtfKind.Const or BtfKind.Volatile or BtfKind.Restrict or BtfKind.TypeTag or BtfKind.Variable:
                    id = (int)r.SizeOrType;
                    continue;
                default:
                    return 0;
            }
        }

        throw new DumpFormatException(_data.Name, $"BTF type {id}: the size chain does not end");
    }

    /// <summary>The <see cref="KType"/> of a non-qualifier type record, built once.</summary>
    private KType TypeAt(int id)
    {
        ref var slot = ref _types[id - _data.FirstId];
        if (slot is { } known)
        {
            return known;
        }

        var created = Create(id);
        return Interlocked.CompareExchange(ref slot, created, null) ?? created;
    }

    private KType Create(int id)
    {
        var r = _data.Record(id);
        string? name = _data.String(r.NameOffset);
        switch (r.Kind)
        {
            case BtfKind.Int:
                {
                    uint encoding = r.Word(0) >> 24;
                    string intName = name ?? $"<int{r.SizeOrType * 8}>";
                    return (encoding & IntBool) != 0 ? KType.Bool(intName, r.SizeOrType) : KType.Int(intName, r.SizeOrType, (encoding & IntSigned) != 0);
                }

            case BtfKind.Float:
                return KType.Float(name ?? $"<float{r.SizeOrType * 8}>", r.SizeOrType);
            case BtfKind.Pointer:
                {
                    int target = (int)r.SizeOrType;
                    return KType.Pointer(() => Resolve(target), (ulong)_pointerSize);
                }

            case BtfKind.Array:
                {
                    int element = (int)r.Word(0);
                    return KType.Array(() => Resolve(element), r.Word(2), SizeOf(element));
                }

            case BtfKind.Typedef:
                {
                    int target = (int)r.SizeOrType;
                    return KType.Typedef(name ?? "<unnamed typedef>", () => Resolve(target), SizeOf(target));
                }

            case BtfKind.Struct:
                return KType.Struct(name, r.SizeOrType, () => Members(id));
            case BtfKind.Union:
                return KType.Union(name, r.SizeOrType, () => Members(id));
            case BtfKind.Forward:
                return r.KindFlag ? KType.Union(name, 0, null) : KType.Struct(name, 0, null);
            case BtfKind.Enum or BtfKind.Enum64:
                {
                    ulong size = r.SizeOrType;
                    bool signed = r.KindFlag;
                    return KType.Enum(name, size, signed, () => Enumerators(id), () => CompatibleInt(size, signed));
                }

            case BtfKind.FunctionProto:
                {
                    int returns = (int)r.SizeOrType;
                    bool variadic = r.Vlen > 0 && r.Word(2 * (r.Vlen - 1)) == 0 && r.Word((2 * (r.Vlen - 1)) + 1) == 0;
                    return KType.Function(() => Resolve(returns), () => Parameters(id), variadic);
                }

            default:
                throw new DumpFormatException(_data.Name, r.Offset, $"BTF type {id} is a {r.Kind}, not a type");
        }
    }

    private List<KMember> Members(int id)
    {
        var r = _data.Record(id);
        var members = new List<KMember>(r.Vlen);
        for (int i = 0; i < r.Vlen; i++)
        {
            string? name = _data.String(r.Word(3 * i));
            int type = (int)r.Word((3 * i) + 1);
            uint offset = r.Word((3 * i) + 2);
            ulong bitOffset;
            int bitSize;
            if (r.KindFlag)
            {
                // kind_flag set: bits 24-31 are the bit-field size, bits 0-23 the bit offset (Linux v5.0, 9d5f9f701b18).
                bitSize = (int)(offset >> 24);
                bitOffset = offset & 0xffffff;
            }
            else
            {
                bitOffset = offset;
                bitSize = IntBitField(type, ref bitOffset);
            }

            members.Add(new KMember(name, Resolve(type), bitOffset, bitSize));
        }

        return members;
    }

    /// <summary>
    /// Without kind_flag a bit field is a member whose INT type holds fewer bits than its size (BTF_INT_BITS),
    /// possibly from a bit offset inside it (BTF_INT_OFFSET): returns the width, 0 for an ordinary member.
    /// </summary>
    private int IntBitField(int type, ref ulong bitOffset)
    {
        for (int hops = 0; hops <= _data.EndId && type != 0; hops++)
        {
            var r = _data.Record(type);
            if (r.Kind is BtfKind.Typedef or BtfKind.Const or BtfKind.Volatile or BtfKind.Restrict or BtfKind.TypeTag)
            {
                type = (int)r.SizeOrType;
                continue;
            }

            if (r.Kind != BtfKind.Int)
            {
                return 0;
            }

            uint bits = r.Word(0) & 0xff;
            uint shift = (r.Word(0) >> 16) & 0xff;
            if (bits == r.SizeOrType * 8 && shift == 0)
            {
                return 0;
            }

            bitOffset += shift;
            return (int)bits;
        }

        return 0;
    }

    private List<KEnumerator> Enumerators(int id)
    {
        var r = _data.Record(id);
        var list = new List<KEnumerator>(r.Vlen);
        for (int i = 0; i < r.Vlen; i++)
        {
            if (r.Kind == BtfKind.Enum)
            {
                // btf_enum.val is an s32; kind_flag says whether the enum's values are signed (Linux v6.0).
                int value = (int)r.Word((2 * i) + 1);
                list.Add(new KEnumerator(_data.String(r.Word(2 * i)) ?? string.Empty, r.KindFlag ? unchecked((ulong)value) : (uint)value));
            }
            else
            {
                ulong value = r.Word((3 * i) + 1) | ((ulong)r.Word((3 * i) + 2) << 32);
                list.Add(new KEnumerator(_data.String(r.Word(3 * i)) ?? string.Empty, value));
            }
        }

        return list;
    }

    private List<KParameter> Parameters(int id)
    {
        var r = _data.Record(id);
        var list = new List<KParameter>(r.Vlen);
        for (int i = 0; i < r.Vlen; i++)
        {
            uint name = r.Word(2 * i);
            int type = (int)r.Word((2 * i) + 1);
            if (i == r.Vlen - 1 && name == 0 && type == 0)
            {
                break; // "..."
            }

            list.Add(new KParameter(_data.String(name), Resolve(type)));
        }

        return list;
    }

    /// <summary>BTF has no compatible type for an enum: the integer of its size and sign, as GCC names it.</summary>
    private static QualifiedType CompatibleInt(ulong size, bool signed) => (size, signed) switch
    {
        (1, true) => KType.Int("signed char", 1, true),
        (1, false) => KType.Int("unsigned char", 1, false),
        (2, true) => KType.Int("short int", 2, true),
        (2, false) => KType.Int("short unsigned int", 2, false),
        (8, true) => KType.Int("long int", 8, true),
        (8, false) => KType.Int("long unsigned int", 8, false),
        (_, true) => KType.Int("int", size, true),
        _ => KType.Int("unsigned int", size, false),
    };
}
