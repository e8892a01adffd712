using System.Numerics;

namespace Kdx.Core.Linux.Mm;

/// <summary>
/// Where a page frame's struct page and its direct-map address are on a SPARSEMEM_VMEMMAP kernel (every
/// x86_64 kernel since v2.6.24): the struct page of pfn N is at vmemmap + N × SIZE(page), its memory at
/// page_offset_base + N × PAGE_SIZE. Frames at or past <see cref="EndPfn"/> (the kernel's max_pfn) are refused.
/// </summary>
/// <param name="DirectMapBase">page_offset_base.</param>
/// <param name="Vmemmap">vmemmap_base.</param>
/// <param name="PageSize">PAGE_SIZE.</param>
/// <param name="StructPageSize">sizeof(struct page).</param>
/// <param name="EndPfn">The first page frame past the end of memory (max_pfn).</param>
public sealed record PageGeometry(ulong DirectMapBase, ulong Vmemmap, int PageSize, int StructPageSize, ulong EndPfn)
{
    private int PageShift => BitOperations.TrailingZeroCount(PageSize);

    /// <summary>Whether <paramref name="page"/> is the address of a struct page, and of which frame.</summary>
    public bool TryPfnOfPage(ulong page, out ulong pfn)
    {
        pfn = 0;
        if (page < Vmemmap || StructPageSize <= 0)
        {
            return false;
        }

        ulong delta = page - Vmemmap;
        if (delta % (ulong)StructPageSize != 0)
        {
            return false;
        }

        pfn = delta / (ulong)StructPageSize;
        return pfn < EndPfn;
    }

    /// <summary>The frame that holds the struct page at <paramref name="address"/> (any byte of it), when in the mem_map.</summary>
    public bool TryPfnOfPageByte(ulong address, out ulong pfn)
    {
        pfn = 0;
        if (address < Vmemmap || StructPageSize <= 0)
        {
            return false;
        }

        pfn = (address - Vmemmap) / (ulong)StructPageSize;
        return pfn < EndPfn;
    }

    /// <summary>The address of the struct page of <paramref name="pfn"/>.</summary>
    public ulong PageOf(ulong pfn) => unchecked(Vmemmap + (pfn * (ulong)StructPageSize));

    /// <summary>Whether <paramref name="address"/> is in the direct map of memory, and in which frame.</summary>
    public bool TryPfnOfDirect(ulong address, out ulong pfn)
    {
        pfn = 0;
        if (address < DirectMapBase)
        {
            return false;
        }

        pfn = (address - DirectMapBase) >> PageShift;
        return pfn < EndPfn;
    }

    /// <summary>The direct-map address of <paramref name="pfn"/>'s first byte.</summary>
    public ulong DirectAddress(ulong pfn) => unchecked(DirectMapBase + (pfn << PageShift));

    /// <summary>The physical address of <paramref name="pfn"/>'s first byte.</summary>
    public ulong PhysicalAddress(ulong pfn) => pfn << PageShift;

    /// <summary>The frame of a physical address.</summary>
    public ulong PfnOfPhysical(ulong physical) => physical >> PageShift;
}
