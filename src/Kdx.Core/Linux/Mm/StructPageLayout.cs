using System.Buffers.Binary;
using Kdx.Core.Dumps;

namespace Kdx.Core.Linux.Mm;

/// <summary>
/// Where the fields of <c>struct page</c> are and what its flag bits and page types mean, from VMCOREINFO
/// alone (kernel/crash_core.c and mm/ exports: SIZE(page), OFFSET(page.*), NUMBER(PG_*), NUMBER(PAGE_*_MAPCOUNT_VALUE)).
/// Each kernel change is followed by what the kernel exports, never by its version.
/// </summary>
public sealed class StructPageLayout
{
    private const int MaxStructPageSize = 512;

    private StructPageLayout(VmcoreInfo info)
    {
        Size = (int)(info.Size("page") ?? 0);
        FlagsOffset = Offset(info, "page.flags");
        // page._count was renamed page._refcount in Linux v4.6 (commit 0139aa7b7fa1).
        RefCountOffset = Offset(info, "page._refcount") ?? Offset(info, "page._count");
        MappingOffset = Offset(info, "page.mapping");
        MapCountOffset = Offset(info, "page._mapcount");
        PrivateOffset = Offset(info, "page.private");
        // Linux v7.1 renamed page.compound_head to compound_info (commit d50569612c29), and VMCOREINFO with it.
        CompoundHeadOffset = Offset(info, "page.compound_head") ?? Offset(info, "page.compound_info");

        // The order and destructor of a compound page live in its first tail page: page.compound_order/_dtor
        // until v6.2, folio._folio_order/_dtor (offsets from the head) in v6.3 to v6.5 (commit 1c5509be58f6),
        // and from v6.6 the order is the low byte of folio._flags_1, the first tail's flags (commit ebc1baf5c9b4).
        OrderByteOffset = Offset(info, "page.compound_order") is { } o ? Size + o
            : Offset(info, "folio._folio_order") ?? (FlagsOffset is { } f ? Size + f : null);
        DtorByteOffset = Offset(info, "page.compound_dtor") is { } d ? Size + d : Offset(info, "folio._folio_dtor");

        PgLru = Bit(info, "PG_lru");
        PgPrivate = Bit(info, "PG_private");
        PgSwapCache = Bit(info, "PG_swapcache");
        PgSwapBacked = Bit(info, "PG_swapbacked");
        PgSlab = Bit(info, "PG_slab");
        PgHwPoison = Bit(info, "PG_hwpoison");
        PgHugetlb = Bit(info, "PG_hugetlb");
        HeadMask = info.Number("PG_head_mask") is { } m and not 0 ? unchecked((ulong)m) : 0;
        HugetlbDtor = info.Number("HUGETLB_PAGE_DTOR");

        Buddy = Type(info, "PAGE_BUDDY_MAPCOUNT_VALUE");
        Offline = Type(info, "PAGE_OFFLINE_MAPCOUNT_VALUE");
        Slab = Type(info, "PAGE_SLAB_MAPCOUNT_VALUE");
        Hugetlb = Type(info, "PAGE_HUGETLB_MAPCOUNT_VALUE");
        Unaccepted = Type(info, "PAGE_UNACCEPTED_MAPCOUNT_VALUE");

        // zone.free_area has MAX_ORDER (MAX_PAGE_ORDER + 1 since v6.8) entries: a buddy block's order is below it.
        long areas = info.Length("zone.free_area") ?? 11;
        FreeAreaOrders = (int)Math.Clamp(areas, 1, 32);
    }

    /// <summary>SIZE(page).</summary>
    public int Size { get; }

    /// <summary>OFFSET(page.flags).</summary>
    public int? FlagsOffset { get; }

    /// <summary>OFFSET(page._refcount).</summary>
    public int? RefCountOffset { get; }

    /// <summary>OFFSET(page.mapping).</summary>
    public int? MappingOffset { get; }

    /// <summary>OFFSET(page._mapcount): page_type on typed pages.</summary>
    public int? MapCountOffset { get; }

    /// <summary>OFFSET(page.private).</summary>
    public int? PrivateOffset { get; }

    /// <summary>OFFSET(page.compound_head).</summary>
    public int? CompoundHeadOffset { get; }

    /// <summary>Where a compound head's order byte is, counted from the head's struct page (it is in the first tail).</summary>
    public int? OrderByteOffset { get; }

    /// <summary>Where a compound head's destructor byte is, counted from the head's struct page (kernels before v6.6).</summary>
    public int? DtorByteOffset { get; }

    /// <summary>NUMBER(PG_lru).</summary>
    public int? PgLru { get; }

    /// <summary>NUMBER(PG_private).</summary>
    public int? PgPrivate { get; }

    /// <summary>NUMBER(PG_swapcache).</summary>
    public int? PgSwapCache { get; }

    /// <summary>NUMBER(PG_swapbacked) (Linux v4.10 and later).</summary>
    public int? PgSwapBacked { get; }

    /// <summary>NUMBER(PG_slab): a page flag until v6.10 made slab a page type.</summary>
    public int? PgSlab { get; }

    /// <summary>NUMBER(PG_hwpoison).</summary>
    public int? PgHwPoison { get; }

    /// <summary>NUMBER(PG_hugetlb): a flag of the first tail page in v6.6 to v6.8.</summary>
    public int? PgHugetlb { get; }

    /// <summary>NUMBER(PG_head_mask): the flag of a compound head page; 0 when not exported.</summary>
    public ulong HeadMask { get; }

    /// <summary>NUMBER(HUGETLB_PAGE_DTOR): the hugetlb destructor id (kernels before v6.6).</summary>
    public long? HugetlbDtor { get; }

    /// <summary>The buddy (free page) type.</summary>
    public PageType? Buddy { get; }

    /// <summary>The offline (ballooned, unplugged) type.</summary>
    public PageType? Offline { get; }

    /// <summary>The slab type (Linux v6.10 and later, commit 46df8e73a4a3, "mm: free up PG_slab").</summary>
    public PageType? Slab { get; }

    /// <summary>The hugetlb type of a folio head (Linux v6.9 and later, commit d99e3140a4d3, "mm: turn folio_test_hugetlb into a PageType").</summary>
    public PageType? Hugetlb { get; }

    /// <summary>The unaccepted-memory type (confidential VMs), when exported.</summary>
    public PageType? Unaccepted { get; }

    /// <summary>LENGTH(zone.free_area): buddy orders are below it.</summary>
    public int FreeAreaOrders { get; }

    /// <summary>The page type encoding the kernel uses, from the first type it exports.</summary>
    public PageTypeScheme? Scheme => AnyType?.Scheme;

    private PageType? AnyType => Buddy ?? Slab ?? Offline ?? Hugetlb ?? Unaccepted;

    /// <summary>Reads the layout from VMCOREINFO; check <see cref="Missing"/> before classifying.</summary>
    public static StructPageLayout FromVmcoreInfo(VmcoreInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new StructPageLayout(info);
    }

    /// <summary>
    /// The VMCOREINFO entries missing for the dump level bits in <paramref name="dumpLevel"/> (2 and 4 cache,
    /// 8 user data, 16 free pages); empty when the level can be honoured.
    /// </summary>
    public IReadOnlyList<string> Missing(int dumpLevel)
    {
        var missing = new List<string>();
        if (Size is <= 0 or > MaxStructPageSize)
        {
            missing.Add("SIZE(page)");
        }

        void Need(bool present, string key)
        {
            if (!present)
            {
                missing.Add(key);
            }
        }

        Need(FlagsOffset is not null, "OFFSET(page.flags)");
        Need(MappingOffset is not null, "OFFSET(page.mapping)");
        if ((dumpLevel & (2 | 4 | 8)) != 0)
        {
            // Slab pages must be recognised before anything is dropped as cache or user data.
            Need(PgSlab is not null || Slab is not null, "NUMBER(PG_slab) or NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)");
            Need(Slab is null || MapCountOffset is not null, "OFFSET(page._mapcount)");
        }

        if ((dumpLevel & (2 | 4)) != 0)
        {
            Need(PgLru is not null, "NUMBER(PG_lru)");
            Need(PgPrivate is not null, "NUMBER(PG_private)");
            Need(PgSwapCache is not null, "NUMBER(PG_swapcache)");
        }

        if ((dumpLevel & 16) != 0)
        {
            Need(Buddy is not null, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
            Need(MapCountOffset is not null, "OFFSET(page._mapcount)");
            Need(PrivateOffset is not null, "OFFSET(page.private)");
        }

        // Every field read must lie inside the struct page.
        foreach (var (offset, width, key) in new (int? Offset, int Width, string Key)[]
        {
            (FlagsOffset, 8, "OFFSET(page.flags)"), (RefCountOffset, 4, "OFFSET(page._refcount)"),
            (MappingOffset, 8, "OFFSET(page.mapping)"), (MapCountOffset, 4, "OFFSET(page._mapcount)"),
            (PrivateOffset, 8, "OFFSET(page.private)"), (CompoundHeadOffset, 8, "OFFSET(page.compound_head)"),
        })
        {
            if (offset is { } o && (o < 0 || o + width > Size))
            {
                missing.Add($"{key} inside SIZE(page) (it is {o})");
            }
        }

        return missing.Distinct().ToList();
    }

    /// <summary>Decodes one struct page (<see cref="Size"/> bytes); fields the layout lacks read as 0.</summary>
    public StructPage Decode(ReadOnlySpan<byte> page) => new(
        U64(page, FlagsOffset),
        U32(page, RefCountOffset),
        U64(page, MappingOffset),
        MapCountOffset is null ? uint.MaxValue : U32(page, MapCountOffset),
        U64(page, PrivateOffset),
        U64(page, CompoundHeadOffset));

    /// <summary>Whether the page is a slab page: the PG_slab flag, or the slab page type (v6.10 and later).</summary>
    public bool IsSlab(in StructPage page) => page.Test(PgSlab) || (Slab is { } t && t.Matches(page.MapCount));

    /// <summary>Whether the page heads a free buddy block (whose order is page.private).</summary>
    public bool IsBuddy(in StructPage page) => Buddy is { } t && t.Matches(page.MapCount);

    /// <summary>Whether the page is logically offline (ballooned out, or unplugged by virtio-mem).</summary>
    public bool IsOffline(in StructPage page) => Offline is { } t && t.Matches(page.MapCount);

    /// <summary>Whether the page is unaccepted memory of a confidential VM (a free block of the largest order).</summary>
    public bool IsUnaccepted(in StructPage page) => Unaccepted is { } t && t.Matches(page.MapCount);

    /// <summary>Whether page_type holds a type (buddy, slab, table, …) instead of a mapcount.</summary>
    public bool HasPageType(in StructPage page) => AnyType is { } t && t.HasAnyType(page.MapCount);

    /// <summary>Whether the page heads a compound page (PG_head).</summary>
    public bool IsHead(in StructPage page) => (page.Flags & HeadMask) != 0;

    /// <summary>
    /// Whether the page is in the page cache or the swap cache (PG_lru, or PG_swapcache, which means swap
    /// cache only with PG_swapbacked since v4.10, where it shares its bit with PG_owner_priv_1).
    /// </summary>
    public bool IsCacheCandidate(in StructPage page) =>
        page.Test(PgLru) || (page.Test(PgSwapCache) && (PgSwapBacked is null || page.Test(PgSwapBacked)));

    /// <summary>Whether PG_private is set (fs or buffer-head data attached).</summary>
    public bool IsPrivate(in StructPage page) => page.Test(PgPrivate);

    /// <summary>Whether PG_hwpoison is set.</summary>
    public bool IsHwPoison(in StructPage page) => page.Test(PgHwPoison);

    /// <summary>
    /// The order of a compound page, from its head's struct page and the first tail's that follows it
    /// (<paramref name="headAndFirstTail"/>, 2 × <see cref="Size"/> bytes).
    /// </summary>
    public int CompoundOrder(ReadOnlySpan<byte> headAndFirstTail) =>
        OrderByteOffset is { } o && o < headAndFirstTail.Length ? headAndFirstTail[o] : 0;

    /// <summary>Whether the compound page headed by <paramref name="head"/> is a hugetlbfs page (user data).</summary>
    public bool IsHugetlb(in StructPage head, ReadOnlySpan<byte> headAndFirstTail)
    {
        if (Hugetlb is { } t)
        {
            return t.Matches(head.MapCount);
        }

        if (PgHugetlb is { } bit && FlagsOffset is { } f && Size + f + 8 <= headAndFirstTail.Length)
        {
            return (BinaryPrimitives.ReadUInt64LittleEndian(headAndFirstTail[(Size + f)..]) & (1UL << bit)) != 0;
        }

        return HugetlbDtor is { } dtor && DtorByteOffset is { } d && d < headAndFirstTail.Length && headAndFirstTail[d] == dtor;
    }

    private static int? Offset(VmcoreInfo info, string member) =>
        info.Offset(member) is { } o and >= 0 and < MaxStructPageSize ? (int)o : null;

    private static int? Bit(VmcoreInfo info, string name) =>
        info.Number(name) is { } b and >= 0 and < 64 ? (int)b : null;

    private static PageType? Type(VmcoreInfo info, string name) =>
        info.Number(name) is { } v ? PageType.FromExported(v) : null;

    private static ulong U64(ReadOnlySpan<byte> page, int? offset) =>
        offset is { } o && o + 8 <= page.Length ? BinaryPrimitives.ReadUInt64LittleEndian(page[o..]) : 0;

    private static uint U32(ReadOnlySpan<byte> page, int? offset) =>
        offset is { } o && o + 4 <= page.Length ? BinaryPrimitives.ReadUInt32LittleEndian(page[o..]) : 0;
}
