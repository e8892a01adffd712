using System.Buffers.Binary;
using Kdx.Core.Memory;

namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// Walks x86_64 page tables (4- or 5-level, with 2 MiB and 1 GiB pages) in the dump's physical memory.
/// A walk reads at most one entry per level, so even a corrupt, self-referencing table ends after five reads.
/// A page-table page that the dump lacks stops the walk with the dump's reason, not with "not mapped".
/// Thread-safe: it holds no mutable state.
/// </summary>
public sealed class PageTableWalker
{
    private const int EntriesPerTable = 512;

    private readonly IMemoryReader _physical;

    /// <summary>Creates a walker over physical memory.</summary>
    /// <param name="physical">The dump's physical memory.</param>
    /// <param name="levels">4 or 5 (CR4.LA57).</param>
    /// <param name="smeMask">The AMD SME encryption bit (VMCOREINFO NUMBER(sme_mask)), cleared from every entry; 0 when none.</param>
    public PageTableWalker(IMemoryReader physical, int levels, ulong smeMask = 0)
    {
        ArgumentNullException.ThrowIfNull(physical);
        if (levels is not (4 or 5))
        {
            throw new ArgumentOutOfRangeException(nameof(levels), levels, "x86_64 paging has 4 or 5 levels");
        }

        if (physical.Space != AddressSpace.Physical)
        {
            throw new ArgumentException("page tables are read from physical memory", nameof(physical));
        }

        _physical = physical;
        Levels = levels;
        SmeMask = smeMask;
        FrameMask = PageTableEntry.FrameMask & ~smeMask;
    }

    /// <summary>The number of paging levels.</summary>
    public int Levels { get; }

    /// <summary>The SME encryption bit cleared from every entry.</summary>
    public ulong SmeMask { get; }

    /// <summary>The bits of an entry that hold a physical address: 12–51 without the SME bit.</summary>
    public ulong FrameMask { get; }

    /// <summary>The physical memory the tables are read from.</summary>
    public IMemoryReader Physical => _physical;

    /// <summary>Whether <paramref name="address"/> is canonical: bits 63..47 (63..56 with 5 levels) all equal.</summary>
    public bool IsCanonical(ulong address)
    {
        int bits = Levels == 5 ? 57 : 48;
        return (ulong)((long)(address << (64 - bits)) >> (64 - bits)) == address;
    }

    /// <summary>The level at a depth of the walk (0 = top).</summary>
    public PageTableLevel LevelAt(int depth) =>
        Levels == 5 ? (PageTableLevel)depth : depth == 0 ? PageTableLevel.Pgd : (PageTableLevel)(depth + 1);

    /// <summary>The shift of the address bits that index the table at a depth of the walk (0 = top).</summary>
    public int ShiftAt(int depth) => 12 + (9 * (Levels - 1 - depth));

    /// <summary>
    /// Translates without allocating. <paramref name="pageSize"/> is the size of the page that maps the address.
    /// </summary>
    /// <param name="root">The physical address of the top-level table (CR3 without its flag bits).</param>
    /// <param name="address">The virtual address.</param>
    /// <param name="physicalAddress">The physical address, when mapped.</param>
    /// <param name="pageSize">4 KiB, 2 MiB or 1 GiB, when mapped.</param>
    /// <param name="protNoneIsPresent">Count PROT_NONE PMDs and PTEs as present, as for user mappings.</param>
    public ReadStatus Translate(ulong root, ulong address, out ulong physicalAddress, out ulong pageSize, bool protNoneIsPresent = false)
    {
        Span<PageWalkStep> steps = stackalloc PageWalkStep[5];
        return WalkCore(root, address, protNoneIsPresent, steps, out _, out physicalAddress, out pageSize, out _, out _);
    }

    /// <summary>Walks the tables and returns every entry read (for <c>vtop</c>).</summary>
    /// <param name="root">The physical address of the top-level table.</param>
    /// <param name="address">The virtual address.</param>
    /// <param name="protNoneIsPresent">Count PROT_NONE PMDs and PTEs as present, as for user mappings.</param>
    public PageWalk Walk(ulong root, ulong address, bool protNoneIsPresent = false)
    {
        Span<PageWalkStep> steps = stackalloc PageWalkStep[5];
        var status = WalkCore(root, address, protNoneIsPresent, steps, out int count, out ulong pa, out ulong size,
            out ulong failedRead, out var stoppedAt);
        return new PageWalk(address, root & FrameMask, Levels, steps[..count].ToArray(), status, pa, size, failedRead, stoppedAt);
    }

    /// <summary>
    /// Reads one whole table (512 entries, SME bit cleared) at a physical address, for scans of the tables.
    /// </summary>
    public ReadStatus ReadTable(ulong tableAddress, Span<ulong> entries)
    {
        if (entries.Length < EntriesPerTable)
        {
            throw new ArgumentException("a table has 512 entries", nameof(entries));
        }

        Span<byte> bytes = stackalloc byte[EntriesPerTable * 8];
        var status = _physical.Read(tableAddress & FrameMask, bytes, out _);
        if (status != ReadStatus.Ok)
        {
            return status;
        }

        for (int i = 0; i < EntriesPerTable; i++)
        {
            entries[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * 8)..]) & ~SmeMask;
        }

        return ReadStatus.Ok;
    }

    private ReadStatus WalkCore(ulong root, ulong address, bool protNoneIsPresent, Span<PageWalkStep> steps, out int count,
        out ulong physicalAddress, out ulong pageSize, out ulong failedRead, out PageTableLevel? stoppedAt)
    {
        count = 0;
        physicalAddress = 0;
        pageSize = 0;
        failedRead = 0;
        stoppedAt = null;
        if (!IsCanonical(address))
        {
            return ReadStatus.NotMapped;
        }

        Span<byte> bytes = stackalloc byte[8];
        ulong table = root & FrameMask;
        for (int depth = 0; depth < Levels; depth++)
        {
            var level = LevelAt(depth);
            int shift = ShiftAt(depth);
            ulong entryAddress = table + (((address >> shift) & (EntriesPerTable - 1)) * 8);
            var status = _physical.Read(entryAddress, bytes, out _);
            if (status != ReadStatus.Ok)
            {
                failedRead = entryAddress;
                stoppedAt = level;
                return status;
            }

            ulong raw = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            ulong entry = raw & ~SmeMask;
            steps[count++] = new PageWalkStep(level, entryAddress, raw, entry);

            bool present = (entry & PageTableEntry.Present) != 0
                || (protNoneIsPresent && level >= PageTableLevel.Pmd && (entry & PageTableEntry.ProtNone) != 0);
            if (!present)
            {
                stoppedAt = level;
                return ReadStatus.NotMapped;
            }

            // PSE means a large page only in a PUD (1 GiB) or PMD (2 MiB); in a PTE bit 7 is PAT and in the
            // top levels it is reserved. A large page's bit 12 is its PAT bit, so the frame is masked to the page size.
            bool leaf = level == PageTableLevel.Pte
                || (level is PageTableLevel.Pud or PageTableLevel.Pmd && PageTableEntry.IsLarge(entry));
            if (leaf)
            {
                pageSize = 1UL << shift;
                physicalAddress = (entry & FrameMask & ~(pageSize - 1)) | (address & (pageSize - 1));
                return ReadStatus.Ok;
            }

            table = entry & FrameMask;
        }

        // Unreachable: the PTE level always ends the loop.
        return ReadStatus.NotMapped;
    }
}
