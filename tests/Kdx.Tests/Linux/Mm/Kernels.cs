using Kdx.Core.Dumps;
using Kdx.Core.Linux.Mm;

namespace Kdx.Tests.Linux.Mm;

/// <summary>
/// The struct page part of VMCOREINFO of one kernel generation. V61 and V612 are copied from the test-bed
/// kernels (Debian 6.1.192 and 6.12.117); the others follow the kernel changes they stand for, with flag
/// numbers made up where only their presence matters.
/// </summary>
public sealed class Kernel
{
    private const string Common = """
        SIZE(page)=64
        OFFSET(page.flags)=0
        OFFSET(page._refcount)=52
        OFFSET(page.mapping)=24
        OFFSET(page.lru)=8
        OFFSET(page._mapcount)=48
        OFFSET(page.private)=40
        OFFSET(page.compound_head)=8
        LENGTH(zone.free_area)=11

        """;

    private Kernel(string name, string text)
    {
        Name = name;
        Info = VmcoreInfo.Parse(Common + text.Replace("\r", string.Empty, StringComparison.Ordinal));
        Layout = StructPageLayout.FromVmcoreInfo(Info);
    }

    /// <summary>Linux 6.1: PG_slab flag, compound_order/_dtor in the first tail, page types under PAGE_TYPE_BASE 0xf0000000.</summary>
    public static Kernel V61 { get; } = new("6.1", """
        OFFSET(page.compound_dtor)=16
        OFFSET(page.compound_order)=17
        NUMBER(PG_lru)=4
        NUMBER(PG_private)=13
        NUMBER(PG_swapcache)=10
        NUMBER(PG_swapbacked)=19
        NUMBER(PG_slab)=9
        NUMBER(PG_head_mask)=65536
        NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129
        NUMBER(HUGETLB_PAGE_DTOR)=2
        NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257
        """);

    /// <summary>Linux 6.3 to 6.5: folio._folio_order/_folio_dtor, counted from the head.</summary>
    public static Kernel V64 { get; } = new("6.4", """
        OFFSET(folio._folio_dtor)=80
        OFFSET(folio._folio_order)=81
        NUMBER(PG_lru)=4
        NUMBER(PG_private)=13
        NUMBER(PG_swapcache)=10
        NUMBER(PG_swapbacked)=19
        NUMBER(PG_slab)=9
        NUMBER(PG_head_mask)=65536
        NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129
        NUMBER(HUGETLB_PAGE_DTOR)=2
        NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257
        """);

    /// <summary>Linux 6.6 to 6.8: the order in the low byte of folio._flags_1, PG_hugetlb a flag of the first tail.</summary>
    public static Kernel V67 { get; } = new("6.7", """
        NUMBER(PG_lru)=4
        NUMBER(PG_private)=13
        NUMBER(PG_swapcache)=10
        NUMBER(PG_swapbacked)=19
        NUMBER(PG_slab)=9
        NUMBER(PG_hugetlb)=23
        NUMBER(PG_head_mask)=65536
        NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129
        NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257
        """);

    /// <summary>Linux 6.10: slab and hugetlb page types under PAGE_TYPE_BASE 0xf0000000 (PG_slab 0x1000, PG_hugetlb 0x800).</summary>
    public static Kernel V610 { get; } = new("6.10", """
        NUMBER(PG_lru)=5
        NUMBER(PG_private)=14
        NUMBER(PG_swapcache)=10
        NUMBER(PG_swapbacked)=17
        NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-4097
        NUMBER(PG_head_mask)=64
        NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129
        NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-2049
        NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257
        """);

    /// <summary>Linux 6.11: PAGE_TYPE_BASE 0x80000000, type bits counted down from 0x40000000, low 16 bits for the owner.</summary>
    public static Kernel V611 { get; } = new("6.11", """
        NUMBER(PG_lru)=5
        NUMBER(PG_private)=14
        NUMBER(PG_swapcache)=10
        NUMBER(PG_swapbacked)=17
        NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-33554433
        NUMBER(PG_head_mask)=64
        NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-1073741825
        NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-67108865
        NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-536870913
        """);

    /// <summary>Linux 6.12: one page type per page in the top byte (PGTY_buddy 0xf0 … PGTY_slab 0xf5, PGTY_unaccepted 0xf7).</summary>
    public static Kernel V612 { get; } = new("6.12", """
        NUMBER(PG_lru)=5
        NUMBER(PG_private)=14
        NUMBER(PG_swapcache)=10
        NUMBER(PG_swapbacked)=17
        NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376
        NUMBER(PG_hwpoison)=20
        NUMBER(PG_head_mask)=64
        NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456
        NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592
        NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240
        NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)=-150994944
        """);

    public static IEnumerable<Kernel> All => [V61, V64, V67, V610, V611, V612];

    public static TheoryData<string> Names => new(All.Select(k => k.Name));

    public string Name { get; }

    public VmcoreInfo Info { get; }

    public StructPageLayout Layout { get; }

    public static Kernel ByName(string name) => All.Single(k => k.Name == name);

    /// <summary>The page flag bit with this NUMBER(...) name.</summary>
    public ulong Flag(string name) => 1UL << (int)Info.Number(name)!.Value;

    /// <summary>What page_type holds on a page of type <paramref name="name"/> ("BUDDY", "SLAB", …).</summary>
    public uint Type(string name) => unchecked((uint)Info.Number($"PAGE_{name}_MAPCOUNT_VALUE")!.Value);

    /// <summary>Whether slab is a page type (else the PG_slab flag).</summary>
    public bool SlabIsType => Info.Number("PG_slab") is null;

    public override string ToString() => Name;
}
