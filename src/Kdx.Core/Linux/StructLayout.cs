using Kdx.Core.Types;

namespace Kdx.Core.Linux;

/// <summary>
/// A struct's size and member positions, looked up once by name so that a reader can decode raw records
/// without a type lookup per record. Missing types or members give an error that names them.
/// </summary>
public sealed class StructLayout
{
    private readonly KType _type;

    private StructLayout(KType type, string name)
    {
        _type = type;
        Name = name;
    }

    /// <summary>The struct's name (without "struct").</summary>
    public string Name { get; }

    /// <summary>The struct's size in bytes.</summary>
    public int Size => checked((int)_type.Size);

    /// <summary>The layout of struct <paramref name="structName"/>, or null when the types lack it.</summary>
    public static StructLayout? TryFind(TypeCollection types, string structName)
    {
        var t = types.FindType(structName, TypeKind.Struct);
        return t is null || !t.IsComplete ? null : new StructLayout(t.Unaliased(), structName);
    }

    /// <summary>The layout of struct <paramref name="structName"/>; throws a <see cref="KdxException"/> naming it when missing.</summary>
    public static StructLayout Find(TypeCollection types, string structName) =>
        TryFind(types, structName) ?? throw new KdxException($"no type information for struct {structName}");

    /// <summary>Whether the struct has the member (a path through nested members).</summary>
    public bool Has(string memberPath)
    {
        var t = _type;
        foreach (var part in memberPath.Split('.'))
        {
            if (!t.TryFindMember(part, out var m, out _))
            {
                return false;
            }

            t = m.Type.Type.Unaliased();
        }

        return true;
    }

    /// <summary>The member's byte offset, or null when the struct has no such member.</summary>
    public int? TryOffset(string memberPath) => Has(memberPath) ? Offset(memberPath) : null;

    /// <summary>The member's byte offset (a path through nested members: "dev_info.device").</summary>
    public int Offset(string memberPath) => checked((int)(Bits(memberPath).Bits / 8));

    /// <summary>The member's size in bytes.</summary>
    public int SizeOf(string memberPath) => checked((int)Bits(memberPath).Member.Type.Type.Unaliased().Size);

    /// <summary>The member's type, typedefs resolved (a path through nested members).</summary>
    public KType MemberType(string memberPath) => Bits(memberPath).Member.Type.Type.Unaliased();

    /// <summary>Reads an unsigned member (an integer, pointer or bit field) from a copy of the struct.</summary>
    public ulong Read(ReadOnlySpan<byte> record, string memberPath)
    {
        var (m, bits) = Bits(memberPath);
        int size = checked((int)m.Type.Type.Unaliased().Size);
        if (m.BitFieldSize > 0)
        {
            int width = m.BitFieldSize;
            int first = (int)(bits / 8);
            int shift = (int)(bits % 8);
            int count = Math.Min(8, (shift + width + 7) / 8);
            ulong raw = ReadLittleEndian(record.Slice(first, count));
            return (raw >> shift) & (width == 64 ? ulong.MaxValue : (1UL << width) - 1);
        }

        return ReadLittleEndian(record.Slice((int)(bits / 8), Math.Min(size, 8)));
    }

    private static ulong ReadLittleEndian(ReadOnlySpan<byte> bytes)
    {
        ulong v = 0;
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            v = (v << 8) | bytes[i];
        }

        return v;
    }

    private (KMember Member, ulong Bits) Bits(string memberPath)
    {
        var t = _type;
        ulong bits = 0;
        KMember? member = null;
        foreach (var part in memberPath.Split('.'))
        {
            if (!t.TryFindMember(part, out var m, out ulong b))
            {
                throw new KdxException($"struct {Name} has no member {memberPath} (type information does not match this kernel)");
            }

            bits += b;
            member = m;
            t = m.Type.Type.Unaliased();
        }

        return (member!, bits);
    }
}
