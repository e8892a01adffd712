using System.Buffers.Binary;
using Kdx.Core.Memory;

namespace Kdx.Core.Linux.Mm;

/// <summary>
/// SLUB free pointers: each free object holds the address of the next free one at kmem_cache.offset.
/// With CONFIG_SLAB_FREELIST_HARDENED the kernel stores it obfuscated (mm/slub.c freelist_ptr(), Linux 6.1:
/// <c>ptr ^ s-&gt;random ^ swab(ptr_addr)</c>, where ptr_addr is the address the pointer is stored at); kernels
/// v4.14 to v5.6 did not byte-swap ptr_addr (commit 1ad53d9fa3f6, "slub: improve bit diffusion for freelist
/// ptr obfuscation", v5.7). The form is told apart by which decoding lands in the slab.
/// </summary>
public static class SlabFreelist
{
    /// <summary>Decodes a hardened free pointer as v5.7 and later store it.</summary>
    public static ulong Decode(ulong stored, ulong storedAt, ulong random) =>
        stored ^ random ^ BinaryPrimitives.ReverseEndianness(storedAt);

    /// <summary>Decodes a hardened free pointer as v4.14 to v5.6 stored it (no byte swap).</summary>
    public static ulong DecodeUnswapped(ulong stored, ulong storedAt, ulong random) => stored ^ random ^ storedAt;

    /// <summary>Encodes a free pointer as a hardened v5.7+ kernel stores it (the inverse of <see cref="Decode"/>).</summary>
    public static ulong Encode(ulong next, ulong storedAt, ulong random) =>
        next ^ random ^ BinaryPrimitives.ReverseEndianness(storedAt);

    /// <summary>
    /// Follows the free list that starts at <paramref name="head"/> through the slab's objects, marking each free
    /// object in <paramref name="free"/> (one entry per object of the slab). Stops at the end of the list, or at the
    /// first pointer that leaves the slab, is not an object's start, repeats an object already marked (a loop, or
    /// an object on two lists), or cannot be read: then the problem says where.
    /// </summary>
    /// <returns>How many objects were marked, and the problem that stopped the walk (null at a clean end).</returns>
    public static (int Count, string? Problem) Walk(IMemoryReader memory, SlabCache cache, ulong slabMemory, ulong head, Span<bool> free)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(cache);
        int count = 0;
        ulong q = head;
        ulong first = slabMemory + cache.RedLeftPad;
        ulong stride = Math.Max(1u, cache.Size);
        Span<byte> word = stackalloc byte[8];
        while (q != 0)
        {
            if (q < first || (q - first) % stride != 0 || (q - first) / stride >= (ulong)free.Length)
            {
                return (count, $"free pointer {q:x} is not an object of the slab at {slabMemory:x}");
            }

            int index = (int)((q - first) / stride);
            if (free[index])
            {
                return (count, $"free object {q:x} is listed twice (a loop in the free list)");
            }

            free[index] = true;
            count++;
            ulong at = q + cache.FreePointerOffset;
            var status = memory.Read(at, word, out _);
            if (status != ReadStatus.Ok)
            {
                return (count, $"cannot read the free pointer of object {q:x} at {at:x}: {status.Describe()}");
            }

            ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(word);

            q = Next(cache, stored, at, slabMemory, stride * (ulong)free.Length);
        }

        return (count, null);
    }

    // The decoded next pointer: for a hardened cache, the decoding that stays in the slab (or ends the list).
    private static ulong Next(SlabCache cache, ulong stored, ulong at, ulong slabMemory, ulong slabBytes)
    {
        if (!cache.Hardened)
        {
            return stored;
        }

        ulong swapped = Decode(stored, at, cache.Random);
        if (swapped == 0 || (swapped >= slabMemory && swapped - slabMemory < slabBytes + cache.RedLeftPad))
        {
            return swapped;
        }

        ulong plain = DecodeUnswapped(stored, at, cache.Random);
        return plain == 0 || (plain >= slabMemory && plain - slabMemory < slabBytes + cache.RedLeftPad) ? plain : swapped;
    }
}
