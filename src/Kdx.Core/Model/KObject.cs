using System.Buffers.Binary;
using Kdx.Core.Memory;
using Kdx.Core.Types;

namespace Kdx.Core.Model;

/// <summary>How a <see cref="KObject"/> holds its value.</summary>
public enum ObjectKind : byte
{
    /// <summary>The object lives in kernel memory at an address (an lvalue): reads happen on demand.</summary>
    Reference,

    /// <summary>The object is a value computed by Kdx (the result of arithmetic, a cast, an address-of).</summary>
    Value,

    /// <summary>The object has no value (e.g. optimised out); reading it is an error.</summary>
    Absent,
}

/// <summary>
/// A typed object of the crashed kernel, as in drgn: a reference to memory, a value, or absent.
/// Members are reached by C name through the indexer (<c>task["comm"]</c>), never through .NET
/// members, so C names cannot clash with them. Pointers to structs take members directly
/// (<c>ptr["pid"]</c> is <c>ptr-&gt;pid</c>). Reads are lazy and throw
/// <see cref="MemoryFaultException"/> naming the address and the type being read.
/// </summary>
public sealed class KObject
{
    private readonly byte[]? _value;

    private KObject(IProgram program, QualifiedType type, ObjectKind kind, ulong address, int bitOffset, int bitFieldSize, byte[]? value)
    {
        Program = program;
        Type = type;
        Kind = kind;
        Address = address;
        BitOffset = bitOffset;
        BitFieldSize = bitFieldSize;
        _value = value;
    }

    /// <summary>The program the object belongs to.</summary>
    public IProgram Program { get; }

    /// <summary>The object's type.</summary>
    public QualifiedType Type { get; }

    /// <summary>Reference, value or absent.</summary>
    public ObjectKind Kind { get; }

    /// <summary>The address of a reference object (0 otherwise).</summary>
    public ulong Address { get; }

    /// <summary>The bit offset of a bit-field reference within the byte at <see cref="Address"/> (0–7).</summary>
    public int BitOffset { get; }

    /// <summary>The width of a bit field in bits, or 0.</summary>
    public int BitFieldSize { get; }

    /// <summary>Whether the object is a reference to memory.</summary>
    public bool IsReference => Kind == ObjectKind.Reference;

    /// <summary>The type with typedefs removed.</summary>
    public KType UnderlyingType => Type.Type.Unaliased();

    /// <summary>Whether the object is a null pointer (or a zero integer).</summary>
    public bool IsNull => UnderlyingType.Kind is TypeKind.Pointer or TypeKind.Int or TypeKind.Enum or TypeKind.Bool && ToUInt64() == 0;

    /// <summary>A member of a struct or union (or of the struct a pointer points to): <c>obj["comm"]</c>.</summary>
    public KObject this[string member] => Member(member);

    /// <summary>An element of an array, or of what a pointer points to: <c>obj[3]</c>.</summary>
    public KObject this[long index] => Index(index);

    /// <summary>An object of <paramref name="type"/> at <paramref name="address"/>.</summary>
    public static KObject FromAddress(IProgram program, QualifiedType type, ulong address) =>
        new(program, type, ObjectKind.Reference, address, 0, 0, null);

    /// <summary>A value of an integer, enum, bool or pointer type.</summary>
    public static KObject FromValue(IProgram program, QualifiedType type, ulong value)
    {
        int size = (int)Math.Clamp(type.Type.Unaliased().Size, 1, 8);
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return new KObject(program, type, ObjectKind.Value, 0, 0, 0, bytes[..size]);
    }

    /// <summary>A value from raw bytes (a struct copy, for example).</summary>
    public static KObject FromBytes(IProgram program, QualifiedType type, ReadOnlySpan<byte> bytes) =>
        new(program, type, ObjectKind.Value, 0, 0, 0, bytes.ToArray());

    /// <summary>An absent object of a type.</summary>
    public static KObject Absent(IProgram program, QualifiedType type) => new(program, type, ObjectKind.Absent, 0, 0, 0, null);

    /// <summary>
    /// A global variable by name: its address from the symbol table, its type from the type sources.
    /// Throws <see cref="KdxException"/> when either is unknown.
    /// </summary>
    public static KObject Variable(IProgram program, string name)
    {
        if (!program.TryGetSymbolAddress(name, out var address))
        {
            throw new KdxException($"no symbol named {name}");
        }

        var type = program.Types.FindVariableType(name) ?? throw new KdxException($"no type information for variable {name}");
        return FromAddress(program, type, address);
    }

    /// <summary>A member by name (through anonymous structs and unions; a pointer is followed first).</summary>
    public KObject Member(string name)
    {
        var t = UnderlyingType;
        if (t.Kind == TypeKind.Pointer)
        {
            return Deref().Member(name);
        }

        if (!t.IsCompound)
        {
            throw new KdxException($"{Type} is not a structure or union: no member {name}");
        }

        if (IsReference && !t.IsComplete && t.Name is not null && Program.Types.FindType(t.Name, t.Kind) is { IsComplete: true } complete)
        {
            // A module's debuginfo declares the kernel's structs it only points to (struct kmem_cache;):
            // the definition is the kernel's, as gdb resolves an opaque type.
            return FromAddress(Program, new QualifiedType(complete, Type.Qualifiers), Address).Member(name);
        }

        if (!t.TryFindMember(name, out var m, out var bits))
        {
            throw new KdxException($"{Type} has no member named {name}");
        }

        return AtBitOffset(m.Type, bits, m.BitFieldSize);
    }

    /// <summary>
    /// The object's own member <paramref name="member"/> (one of <see cref="KType.Members"/> of its type, anonymous
    /// struct/union members included, which have no name to find them by).
    /// </summary>
    public KObject Member(KMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        if (!UnderlyingType.IsCompound)
        {
            throw new KdxException($"{Type} is not a structure or union");
        }

        return AtBitOffset(member.Type, member.BitOffset, member.BitFieldSize);
    }

    /// <summary>Whether the object (or the struct it points to) has a member called <paramref name="name"/>.</summary>
    public bool HasMember(string name)
    {
        var t = UnderlyingType;
        if (t.Kind == TypeKind.Pointer)
        {
            t = t.Target!.Value.Type.Unaliased();
        }

        return t.IsCompound && t.TryFindMember(name, out _, out _);
    }

    /// <summary>The object a pointer points to (<c>*ptr</c>).</summary>
    public KObject Deref()
    {
        var t = UnderlyingType;
        if (t.Kind == TypeKind.Array)
        {
            return Index(0);
        }

        if (t.Kind != TypeKind.Pointer)
        {
            throw new KdxException($"cannot dereference {Type}: not a pointer");
        }

        var target = t.Target!.Value;
        if (target.Type.Unaliased().Kind == TypeKind.Void)
        {
            throw new KdxException("cannot dereference a void pointer");
        }

        return FromAddress(Program, target, ToUInt64());
    }

    /// <summary>An element of an array or of a pointer's target.</summary>
    public KObject Index(long index)
    {
        var t = UnderlyingType;
        switch (t.Kind)
        {
            case TypeKind.Array:
                {
                    var element = t.Target!.Value;
                    ulong size = element.Type.Unaliased().Size;
                    if (!IsReference)
                    {
                        var bytes = ReadBytes();
                        ulong start = unchecked((ulong)index * size);
                        if (index < 0 || start + size > (ulong)bytes.Length)
                        {
                            throw new KdxException($"index {index} is outside the value of {Type}");
                        }

                        return FromBytes(Program, element, bytes.AsSpan((int)start, (int)size));
                    }

                    return FromAddress(Program, element, unchecked(Address + ((ulong)index * size)));
                }

            case TypeKind.Pointer:
                {
                    var element = t.Target!.Value;
                    ulong size = ElementSize(element.Type);
                    return FromAddress(Program, element, unchecked(ToUInt64() + ((ulong)index * size)));
                }

            default:
                throw new KdxException($"cannot index {Type}: not an array or pointer");
        }
    }

    /// <summary>The address of a reference object, as a pointer value (<c>&amp;obj</c>).</summary>
    public KObject AddressOf()
    {
        if (!IsReference)
        {
            throw new KdxException($"cannot take the address of a value of type {Type}");
        }

        if (BitFieldSize != 0)
        {
            throw new KdxException("cannot take the address of a bit field");
        }

        return FromValue(Program, KType.Pointer(Type), Address);
    }

    /// <summary>
    /// A C cast. Integer, enum, bool and pointer values convert to each other; a reference may be
    /// re-viewed as another type of the same size or smaller (as crash's casts of structures do).
    /// </summary>
    public KObject Cast(QualifiedType type)
    {
        var to = type.Type.Unaliased();
        if (to.Kind is TypeKind.Int or TypeKind.Enum or TypeKind.Bool or TypeKind.Pointer && UnderlyingType.Kind is TypeKind.Int or TypeKind.Enum or TypeKind.Bool or TypeKind.Pointer or TypeKind.Array)
        {
            ulong v = UnderlyingType.Kind == TypeKind.Array ? Address : ToUInt64();
            if (to.Kind == TypeKind.Bool)
            {
                v = v != 0 ? 1UL : 0;
            }

            return FromValue(Program, type, Truncate(v, to));
        }

        if (IsReference && BitFieldSize == 0)
        {
            return FromAddress(Program, type, Address);
        }

        throw new KdxException($"cannot cast {Type} to {type}");
    }

    /// <summary>
    /// container_of: the <paramref name="containerType"/> that holds this object (a pointer or a reference)
    /// as its member <paramref name="memberPath"/> ("list", or "a.b" for a nested member).
    /// Returns a pointer to the container.
    /// </summary>
    public KObject ContainerOf(KType containerType, string memberPath)
    {
        ulong address = UnderlyingType.Kind == TypeKind.Pointer ? ToUInt64() : IsReference ? Address : throw new KdxException("container_of needs a pointer or an object in memory");
        ulong offset = OffsetOf(containerType, memberPath);
        return FromValue(Program, KType.Pointer(containerType), unchecked(address - offset));
    }

    /// <summary>offsetof(type, member.path), in bytes.</summary>
    public static ulong OffsetOf(KType type, string memberPath)
    {
        ulong bits = 0;
        var t = type.Unaliased();
        foreach (var part in memberPath.Split('.'))
        {
            if (!t.TryFindMember(part, out var m, out var b))
            {
                throw new KdxException($"{type} has no member named {memberPath}");
            }

            bits += b;
            t = m.Type.Type.Unaliased();
        }

        return bits / 8;
    }

    /// <summary>Reads the object into a value object (a no-op for values).</summary>
    public KObject Read()
    {
        if (!IsReference)
        {
            return this;
        }

        return BitFieldSize != 0
            ? FromValue(Program, Type, ToUInt64())
            : FromBytes(Program, Type, ReadBytes());
    }

    /// <summary>The object's bytes (sizeof its type).</summary>
    public byte[] ReadBytes()
    {
        switch (Kind)
        {
            case ObjectKind.Value:
                return _value!;
            case ObjectKind.Absent:
                throw new KdxException($"object of type {Type} is absent");
        }

        ulong size = UnderlyingType.Size;
        if (size == 0 && UnderlyingType.Kind is not TypeKind.Void)
        {
            throw new KdxException($"cannot read {Type}: its size is unknown (incomplete type)");
        }

        if (size > 64UL << 20)
        {
            throw new KdxException($"cannot read {Type}: {size} bytes is too large");
        }

        var bytes = new byte[size];
        Program.Memory.ReadExactly(Address, bytes, TypeNames.Declaration(Type, string.Empty));
        return bytes;
    }

    /// <summary>The value as an unsigned integer (integers, enums, bools, pointers; bit fields extracted).</summary>
    public ulong ToUInt64()
    {
        var t = UnderlyingType;
        if (t.Kind is not (TypeKind.Int or TypeKind.Enum or TypeKind.Bool or TypeKind.Pointer))
        {
            throw new KdxException($"{Type} is not an integer or pointer");
        }

        if (BitFieldSize != 0)
        {
            return ReadBitField();
        }

        int size = (int)Math.Clamp(t.Size, 1, 8);
        Span<byte> b = stackalloc byte[8];
        b.Clear();
        if (Kind == ObjectKind.Value)
        {
            _value.AsSpan(0, Math.Min(size, _value!.Length)).CopyTo(b);
        }
        else if (Kind == ObjectKind.Absent)
        {
            throw new KdxException($"object of type {Type} is absent");
        }
        else
        {
            Program.Memory.ReadExactly(Address, b[..size], TypeNames.Declaration(Type, string.Empty));
        }

        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>The value as a signed integer (sign-extended from the type's size or bit-field width).</summary>
    public long ToInt64()
    {
        ulong v = ToUInt64();
        int bits = BitFieldSize != 0 ? BitFieldSize : (int)Math.Clamp(UnderlyingType.Size, 1, 8) * 8;
        if (!UnderlyingType.IsSigned || bits >= 64)
        {
            return unchecked((long)v);
        }

        int shift = 64 - bits;
        return unchecked((long)(v << shift)) >> shift;
    }

    /// <summary>The value as a boolean (non-zero).</summary>
    public bool ToBoolean() => ToUInt64() != 0;

    /// <summary>A floating-point value.</summary>
    public double ToDouble()
    {
        var t = UnderlyingType;
        var b = ReadBytes();
        return t.Kind == TypeKind.Float && t.Size == 4 ? BitConverter.ToSingle(b) :
            t.Kind == TypeKind.Float ? BitConverter.ToDouble(b) :
            t.IsSigned ? ToInt64() : ToUInt64();
    }

    /// <summary>
    /// The C string a char array holds or a char pointer points to (at most <paramref name="maxLength"/> bytes).
    /// </summary>
    public string ReadCString(int maxLength = 4096)
    {
        var t = UnderlyingType;
        if (t.Kind == TypeKind.Array)
        {
            if (!IsReference)
            {
                var v = ReadBytes();
                int end = Array.IndexOf(v, (byte)0);
                return System.Text.Encoding.Latin1.GetString(v, 0, end < 0 ? v.Length : end);
            }

            int len = t.Length is { } n ? (int)Math.Min(n * t.Target!.Value.Type.Unaliased().Size, (ulong)maxLength) : maxLength;
            return Program.Memory.ReadCString(Address, len, "char array");
        }

        if (t.Kind == TypeKind.Pointer)
        {
            return Program.Memory.ReadCString(ToUInt64(), maxLength, "string");
        }

        throw new KdxException($"{Type} is not a string");
    }

    /// <summary>A short description: "(struct task_struct *)0xffff888003a8c000" or the reference's type and address.</summary>
    public override string ToString() => Kind switch
    {
        ObjectKind.Reference => $"*({TypeNames.Declaration(Type, "*")})0x{Address:x}",
        ObjectKind.Absent => $"({Type})<absent>",
        _ => UnderlyingType.IsIntegerLike ? $"({Type})0x{ToUInt64():x}" : $"({Type})<value>",
    };

    /// <summary>The size pointer arithmetic steps by (void * steps by 1, as in gcc).</summary>
    internal static ulong ElementSize(KType element)
    {
        var t = element.Unaliased();
        return t.Kind is TypeKind.Void or TypeKind.Function ? 1 : t.Size;
    }

    private static ulong Truncate(ulong v, KType t) => t.Size switch
    {
        1 => v & 0xff,
        2 => v & 0xffff,
        4 => v & 0xffff_ffff,
        _ => v,
    };

    private KObject AtBitOffset(QualifiedType type, ulong bits, int bitFieldSize)
    {
        if (Kind == ObjectKind.Value)
        {
            var bytes = _value!;
            if (bitFieldSize != 0)
            {
                ulong raw = ExtractBits(bytes, bits, bitFieldSize);
                if (type.Type.Unaliased().IsSigned && bitFieldSize < 64 && (raw >> (bitFieldSize - 1) & 1) != 0)
                {
                    raw |= ulong.MaxValue << bitFieldSize; // the value keeps the field's sign
                }

                return FromValue(Program, type, raw);
            }

            ulong size = type.Type.Unaliased().Size;
            ulong start = bits / 8;
            if (start + size > (ulong)bytes.Length)
            {
                throw new KdxException($"member of type {type} lies outside the value");
            }

            return FromBytes(Program, type, bytes.AsSpan((int)start, (int)size));
        }

        if (Kind == ObjectKind.Absent)
        {
            return Absent(Program, type);
        }

        ulong total = (ulong)BitOffset + bits;
        return new KObject(Program, type, ObjectKind.Reference, Address + (total / 8), (int)(total % 8), bitFieldSize, null);
    }

    private ulong ReadBitField()
    {
        // Only references carry a bit-field width: values hold the extracted field.
        int bytesNeeded = (BitOffset + BitFieldSize + 7) / 8;
        Span<byte> b = stackalloc byte[16];
        b.Clear();
        Program.Memory.ReadExactly(Address, b[..bytesNeeded], TypeNames.Declaration(Type, string.Empty) + " bit field");
        return ExtractBits(b, (ulong)BitOffset, BitFieldSize);
    }

    // Little-endian bit numbering, as gcc lays out bit fields on x86_64.
    private static ulong ExtractBits(ReadOnlySpan<byte> bytes, ulong bitOffset, int width)
    {
        ulong result = 0;
        for (int i = 0; i < width; i++)
        {
            ulong bit = bitOffset + (ulong)i;
            if ((bytes[(int)(bit / 8)] >> (int)(bit % 8) & 1) != 0)
            {
                result |= 1UL << i;
            }
        }

        return result;
    }
}
