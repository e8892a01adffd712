using System.Buffers.Binary;
using Kdx.Core.Arch.X86_64;

namespace Kdx.Tests.Arch.X86_64;

/// <summary>Builds x86_64 page tables in a <see cref="SyntheticDump"/>: tables are taken from a pool of free pages.</summary>
internal sealed class PageTableBuilder
{
    public const ulong Kernel = PageTableEntry.Present | PageTableEntry.ReadWrite | PageTableEntry.Accessed | PageTableEntry.Dirty;
    public const ulong Table = Kernel;

    private readonly SyntheticDump _dump;
    private ulong _nextTable;

    /// <param name="dump">Where the tables live.</param>
    /// <param name="levels">4 or 5.</param>
    /// <param name="root">The physical address of the top-level table.</param>
    /// <param name="tablePool">Where new tables are allocated (growing up, 4 KiB each).</param>
    public PageTableBuilder(SyntheticDump dump, int levels, ulong root = 0x100000, ulong tablePool = 0x200000)
    {
        _dump = dump;
        Levels = levels;
        Root = root;
        _nextTable = tablePool;
        _dump.Write(root, new byte[4096]);
    }

    public int Levels { get; }

    public ulong Root { get; }

    /// <summary>Bits ORed into every table (non-leaf) entry, e.g. NX or software bits.</summary>
    public ulong TableEntryExtra { get; set; }

    public int TablesAllocated { get; private set; }

    public static ulong SignExtend(ulong address, int levels)
    {
        int bits = levels == 5 ? 57 : 48;
        return (ulong)((long)(address << (64 - bits)) >> (64 - bits));
    }

    /// <summary>Maps one page of <paramref name="size"/> (4 KiB, 2 MiB or 1 GiB) with leaf flags.</summary>
    public void Map(ulong va, ulong pa, ulong size = 0x1000, ulong flags = Kernel)
    {
        int leafDepth = size switch
        {
            0x1000 => Levels - 1,
            1UL << 21 => Levels - 2,
            1UL << 30 => Levels - 3,
            _ => throw new ArgumentException("bad page size", nameof(size)),
        };
        ulong table = Root;
        for (int depth = 0; depth < leafDepth; depth++)
        {
            ulong entryAddress = EntryAddress(table, va, depth);
            ulong entry = ReadUInt64(entryAddress);
            if ((entry & PageTableEntry.Present) == 0)
            {
                ulong fresh = _nextTable;
                _nextTable += 0x1000;
                TablesAllocated++;
                _dump.Write(fresh, new byte[4096]);
                entry = fresh | Table | TableEntryExtra;
                _dump.WriteUInt64(entryAddress, entry);
            }

            table = entry & PageTableEntry.FrameMask & ~TableEntryExtra;
        }

        ulong leaf = pa | flags | (size > 0x1000 ? PageTableEntry.PageSizeExtension : 0);
        _dump.WriteUInt64(EntryAddress(table, va, leafDepth), leaf);
    }

    /// <summary>Maps <paramref name="length"/> bytes with pages of <paramref name="size"/>.</summary>
    public void MapRange(ulong va, ulong pa, ulong length, ulong size)
    {
        for (ulong o = 0; o < length; o += size)
        {
            Map(va + o, pa + o, size);
        }
    }

    /// <summary>The physical address of the entry at <paramref name="depth"/> (0 = top) for an address, following present entries.</summary>
    public ulong EntryAddressAt(ulong va, int depth)
    {
        ulong table = Root;
        for (int d = 0; d < depth; d++)
        {
            table = ReadUInt64(EntryAddress(table, va, d)) & PageTableEntry.FrameMask & ~TableEntryExtra;
        }

        return EntryAddress(table, va, depth);
    }

    public ulong ReadUInt64(ulong pa)
    {
        Span<byte> b = stackalloc byte[8];
        _dump.Read(pa, b, out _);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    private ulong EntryAddress(ulong table, ulong va, int depth)
    {
        int shift = 12 + (9 * (Levels - 1 - depth));
        return (table & PageTableEntry.FrameMask) + (((va >> shift) & 511) * 8);
    }
}
