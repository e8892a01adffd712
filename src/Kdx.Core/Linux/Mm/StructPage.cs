namespace Kdx.Core.Linux.Mm;

/// <summary>
/// The words of one <c>struct page</c> that page classification needs, as read from the kernel's mem_map
/// (include/linux/mm_types.h). Decoded by <see cref="StructPageLayout.Decode"/>.
/// </summary>
/// <param name="Flags">page.flags (PG_* bits; the zone, node and section numbers sit in its top bits).</param>
/// <param name="RefCount">page._refcount.</param>
/// <param name="Mapping">page.mapping: an address_space, or an anon_vma with PAGE_MAPPING_ANON (bit 0) set.</param>
/// <param name="MapCount">page._mapcount, which is page_type on a page that has a type (buddy, slab, …).</param>
/// <param name="Private">page.private: the buddy order on a free page, fs or swap data on a cache page.</param>
/// <param name="CompoundHead">page.compound_head: the head page's address | 1 on a tail page of a compound page.</param>
public readonly record struct StructPage(ulong Flags, uint RefCount, ulong Mapping, uint MapCount, ulong Private, ulong CompoundHead)
{
    /// <summary>include/linux/page-flags.h: PAGE_MAPPING_ANON, the low bit of page.mapping on anonymous pages.</summary>
    public const ulong PageMappingAnon = 1;

    /// <summary>Whether this is a tail page of a compound page (bit 0 of compound_head).</summary>
    public bool IsTail => (CompoundHead & 1) != 0;

    /// <summary>Whether page.mapping has PAGE_MAPPING_ANON set (anonymous or KSM memory, on a page without a type).</summary>
    public bool HasAnonMapping => (Mapping & PageMappingAnon) != 0;

    /// <summary>Whether page flag bit <paramref name="bit"/> is set (false for a missing bit number).</summary>
    public bool Test(int? bit) => bit is >= 0 and < 64 && (Flags & (1UL << bit.Value)) != 0;
}
