namespace Kdx.Core.Linux.Mm;

/// <summary>
/// How the kernel encodes a page type in the <c>_mapcount</c> word of <c>struct page</c> (<c>page_type</c>).
/// Told apart by the form of the values VMCOREINFO exports (NUMBER(PAGE_*_MAPCOUNT_VALUE)), not by version.
/// </summary>
public enum PageTypeScheme
{
    /// <summary>
    /// Linux v4.18 to v6.10: page_type starts at -1 and a type clears one low bit (PG_buddy 0x80 … PG_slab
    /// 0x1000) under PAGE_TYPE_BASE 0xf0000000; the export is ~PG_x, e.g. -129 for buddy
    /// (commit 6e292b9be7f4, "mm: split page_type out from _mapcount").
    /// </summary>
    LowBitsCleared,

    /// <summary>
    /// Linux v6.11: PAGE_TYPE_BASE 0x80000000 and the type bits counted down from 0x40000000, the low 16 bits
    /// free for the owner (commit 8db00ad56461, "mm: allow reuse of the lower 16 bit of the page type with an
    /// actual type"); the export is still ~PG_x.
    /// </summary>
    HighBitsCleared,

    /// <summary>
    /// Linux v6.12 and later: one type per page, an enumeration in the top byte (PGTY_buddy 0xf0 …
    /// PGTY_slab 0xf5), the low 24 bits free for the owner (commit 4ffca5a96678, "mm: support only one
    /// page_type per page"); the export is PGTY_x &lt;&lt; 24, e.g. -268435456 for buddy.
    /// </summary>
    TopByte,
}

/// <summary>
/// One page type (buddy, slab, offline, hugetlb …) as a test on the <c>page_type</c> word, built from the
/// value VMCOREINFO exports for it.
/// </summary>
public readonly record struct PageType
{
    private const uint LowBitsBase = 0xf000_0000;
    private const uint HighBitsBase = 0x8000_0000;

    private PageType(PageTypeScheme scheme, uint mask, uint expect, uint exported)
    {
        Scheme = scheme;
        Mask = mask;
        Expect = expect;
        Exported = exported;
    }

    /// <summary>The encoding this type's exported value has.</summary>
    public PageTypeScheme Scheme { get; }

    /// <summary>The bits of page_type that decide the type.</summary>
    public uint Mask { get; }

    /// <summary>What those bits hold on a page of this type.</summary>
    public uint Expect { get; }

    /// <summary>The value VMCOREINFO exported, as the kernel stores it in page_type.</summary>
    public uint Exported { get; }

    /// <summary>
    /// Decodes an exported NUMBER(PAGE_*_MAPCOUNT_VALUE); null when the value fits none of the known
    /// encodings (then the type is treated as unknown rather than guessed).
    /// </summary>
    public static PageType? FromExported(long value)
    {
        if (value is < int.MinValue or > uint.MaxValue)
        {
            return null;
        }

        uint v = unchecked((uint)value);
        uint top = v >> 24;
        if ((v & 0x00ff_ffff) == 0 && top is >= 0x80 and < 0xff)
        {
            return new PageType(PageTypeScheme.TopByte, 0xff00_0000, v, v);
        }

        // ~value is the type's bit, below PAGE_TYPE_BASE: a low bit (0x80…0x1000) in the old scheme, bits 24…30 in v6.11's.
        uint bits = ~v;
        if (bits == 0)
        {
            return null;
        }

        if (bits < 0x0001_0000)
        {
            return new PageType(PageTypeScheme.LowBitsCleared, LowBitsBase | bits, LowBitsBase, v);
        }

        // v6.11 leaves the low 16 bits to the owner, so its types never use them.
        if ((bits & HighBitsBase) == 0 && (bits & 0xffff) == 0)
        {
            return new PageType(PageTypeScheme.HighBitsCleared, HighBitsBase | bits, HighBitsBase, v);
        }

        return null;
    }

    /// <summary>Whether a page whose page_type (the _mapcount word) is <paramref name="pageType"/> has this type.</summary>
    public bool Matches(uint pageType) => (pageType & Mask) == Expect;

    /// <summary>
    /// Whether page_type holds some page type rather than a mapcount, in this type's encoding
    /// (page_has_type() of the kernel that exported it).
    /// </summary>
    public bool HasAnyType(uint pageType)
    {
        int signed = unchecked((int)pageType);
        return Scheme switch
        {
            // PAGE_MAPCOUNT_RESERVE -128 (v4.18), ~0xffff (v6.11); PGTY_mapcount_underflow 0xff (v6.12).
            PageTypeScheme.LowBitsCleared => signed < -128,
            PageTypeScheme.HighBitsCleared => signed < ~0xffff,
            _ => signed < unchecked((int)0xff00_0000),
        };
    }
}
