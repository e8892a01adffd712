using System.Buffers.Binary;
using Kdx.Core.Memory;
using Kdx.Core.Types;

namespace Kdx.Core.Model;

/// <summary>
/// Reads members of kernel structs by name: the offset from the types, the bytes from memory. A stopgap
/// for the few walks the program does while it opens (the module list); the object model replaces it.
/// Every failure is a <see cref="KdxException"/> naming the struct and member.
/// </summary>
internal sealed class StructFields(ITypeSource types, IMemoryReader memory)
{
    public ITypeSource Types { get; } = types;

    public IMemoryReader Memory { get; } = memory;

    /// <summary>struct <paramref name="name"/>, complete.</summary>
    public KType Struct(string name) =>
        Types.FindType(name, TypeKind.Struct) is { IsComplete: true } t
            ? t
            : throw new KdxException($"struct {name} is not in the kernel's types ({Types.Description})");

    /// <summary>Finds a member by a dotted path ("kallsyms", "core_layout.base"), through anonymous members.</summary>
    public static bool TryMember(KType type, string path, out KMember member, out ulong byteOffset)
    {
        ulong bits = 0;
        member = null!;
        var t = type;
        foreach (var part in path.Split('.'))
        {
            if (!t.Unaliased().IsCompound || !t.TryFindMember(part, out member, out ulong at))
            {
                byteOffset = 0;
                return false;
            }

            bits += at;
            t = member.Type.Type;
        }

        byteOffset = bits / 8;
        return true;
    }

    /// <summary>The byte offset and member at <paramref name="path"/>; throws when the type has no such member.</summary>
    public static (ulong Offset, KMember Member) Member(KType type, string path) =>
        TryMember(type, path, out var m, out ulong offset)
            ? (offset, m)
            : throw new KdxException($"{type} has no member {path}");

    /// <summary>An unsigned integer or pointer member (1, 2, 4 or 8 bytes) of the struct at <paramref name="address"/>.</summary>
    public ulong ReadUnsigned(ulong address, KType type, string path)
    {
        var (offset, member) = Member(type, path);
        return ReadUnsigned(address + offset, member.Type.Type.Unaliased().Size, $"{type}.{path}");
    }

    /// <summary>An unsigned value of <paramref name="size"/> bytes.</summary>
    public ulong ReadUnsigned(ulong address, ulong size, string what)
    {
        Span<byte> b = stackalloc byte[8];
        if (size is not (1 or 2 or 4 or 8))
        {
            throw new KdxException($"{what} is {size} bytes, not an integer or pointer");
        }

        Memory.ReadExactly(address, b[..(int)size], what);
        return size switch
        {
            1 => b[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(b),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(b),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(b),
        };
    }

    /// <summary>A char array member as a NUL-terminated string.</summary>
    public string ReadCharArray(ulong address, KType type, string path)
    {
        var (offset, member) = Member(type, path);
        int size = (int)Math.Min(member.Type.Type.Unaliased().Size, 4096);
        return Memory.ReadCString(address + offset, size, $"{type}.{path}");
    }
}
