namespace Kdx.Core.Linux.Mm;

/// <summary>What a page frame is, for makedumpfile-style dump levels.</summary>
public enum PageClass : byte
{
    /// <summary>Kept: kernel data, or nothing the dump level drops.</summary>
    Kept,

    /// <summary>Kept because its struct page could not be read.</summary>
    Unreadable,

    /// <summary>Kept: no memory section of the kernel covers it (firmware or device memory in the dump).</summary>
    NoStructPage,

    /// <summary>Page or swap cache without private data (dump level bit 2, also dropped by 4).</summary>
    Cache,

    /// <summary>Page cache with private (fs) data (dump level bit 4).</summary>
    CachePrivate,

    /// <summary>Anonymous user memory or hugetlbfs pages (dump level bit 8).</summary>
    User,

    /// <summary>A free page of the buddy allocator, or unaccepted memory (dump level bit 16).</summary>
    Free,

    /// <summary>A hardware-poisoned page (dropped at every filtering level, as makedumpfile does).</summary>
    HwPoison,

    /// <summary>A logically offline page: ballooned out or unplugged (dropped at every filtering level).</summary>
    Offline,
}

/// <summary>
/// Classifies page frames from their <c>struct page</c>s by the rules of makedumpfile's
/// __exclude_unnecessary_pages() (makedumpfile.c), with one deliberate difference: a slab page is never
/// dropped as cache, user data or free memory. makedumpfile 1.7.2 tests only PG_slab, so on Linux v6.10+
/// (slab a page type, commit 46df8e73a4a3) a slab whose page.mapping word holds an odd slab.slabs count
/// (struct slab since v6.2, commit 130d4df57390) is taken for anonymous memory and dropped at level 8.
/// </summary>
public sealed class PageClassifier
{
    private const int MaxCompoundOrder = 30;

    /// <summary>Creates a classifier for the kernel-aware bits (2, 4, 8, 16) of <paramref name="dumpLevel"/>.</summary>
    public PageClassifier(StructPageLayout layout, int dumpLevel)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
        DumpLevel = dumpLevel & (2 | 4 | 8 | 16);
    }

    /// <summary>The struct page layout.</summary>
    public StructPageLayout Layout { get; }

    /// <summary>The dump level bits this classifier drops pages for.</summary>
    public int DumpLevel { get; }

    private bool Cache => (DumpLevel & 2) != 0;

    private bool CachePrivate => (DumpLevel & 4) != 0;

    private bool User => (DumpLevel & 8) != 0;

    private bool Free => (DumpLevel & 16) != 0;

    /// <summary>
    /// Classifies page frames <paramref name="firstPfn"/> … <c>firstPfn + classes.Length - 1</c>.
    /// <paramref name="structPages"/> holds their struct pages and one more (the first tail of a compound head
    /// at the end); <paramref name="readable"/> says which of those were read. A head decides for all its
    /// pages (a buddy block, a compound page): the returned run is the part of the last such block that lies
    /// past the end, for the caller to apply to the following frames (empty when there is none).
    /// </summary>
    public PageRun Classify(ulong firstPfn, ReadOnlySpan<byte> structPages, ReadOnlySpan<bool> readable, Span<PageClass> classes)
    {
        int size = Layout.Size;
        int n = classes.Length;
        if (structPages.Length < n * size || readable.Length < n)
        {
            throw new ArgumentException("fewer struct pages than page frames", nameof(structPages));
        }

        for (int i = 0; i < n;)
        {
            if (!readable[i])
            {
                classes[i++] = PageClass.Unreadable;
                continue;
            }

            int pairEnd = i + 1 < readable.Length && readable[i + 1] ? Math.Min(structPages.Length, (i + 2) * size) : (i + 1) * size;
            var (cls, order) = ClassifyHead(firstPfn + (ulong)i, structPages[(i * size)..pairEnd]);
            if (cls == PageClass.Kept)
            {
                classes[i++] = PageClass.Kept;
                continue;
            }

            ulong count = 1UL << order;
            int inChunk = (int)Math.Min(count, (ulong)(n - i));
            classes.Slice(i, inChunk).Fill(cls);
            if ((ulong)inChunk < count)
            {
                return new PageRun(firstPfn + (ulong)n, firstPfn + (ulong)i + count, cls);
            }

            i += inChunk;
        }

        return default;
    }

    /// <summary>
    /// Classifies the page frame <paramref name="pfn"/> from its struct page, followed by its first tail's when it
    /// heads a compound page. Returns the class and the order of the block it decides for (0: itself alone).
    /// A tail page is <see cref="PageClass.Kept"/> here: its head decides for it.
    /// </summary>
    public (PageClass Class, int Order) ClassifyHead(ulong pfn, ReadOnlySpan<byte> pageAndNext)
    {
        var layout = Layout;
        var page = layout.Decode(pageAndNext[..layout.Size]);
        if (page.IsTail || layout.IsSlab(page))
        {
            return (PageClass.Kept, 0);
        }

        if (Free && layout.IsBuddy(page))
        {
            // The order of a free block is page.private (mm/page_alloc.c set_buddy_order()); a bogus one keeps the page.
            return page.Private < (ulong)layout.FreeAreaOrders && Aligned(pfn, (int)page.Private)
                ? (PageClass.Free, (int)page.Private)
                : (PageClass.Kept, 0);
        }

        if (Free && layout.IsUnaccepted(page))
        {
            // Unaccepted memory is queued in blocks of the largest order only (mm/page_alloc.c __free_unaccepted()).
            int top = layout.FreeAreaOrders - 1;
            return Aligned(pfn, top) ? (PageClass.Free, top) : (PageClass.Kept, 0);
        }

        bool head = layout.IsHead(page) && pageAndNext.Length >= 2 * layout.Size;
        int order = head ? layout.CompoundOrder(pageAndNext) : 0;
        if (order > MaxCompoundOrder || !Aligned(pfn, order))
        {
            order = 0;
        }

        // A page with a type (buddy, table, guard, zsmalloc…) keeps other data in its mapping word.
        bool typed = layout.HasPageType(page);
        bool anon = page.HasAnonMapping && !typed;
        if ((Cache || CachePrivate) && !anon && !typed && layout.IsCacheCandidate(page))
        {
            if (!layout.IsPrivate(page))
            {
                return (PageClass.Cache, order);
            }

            if (CachePrivate)
            {
                return (PageClass.CachePrivate, order);
            }
        }

        if (User && (anon || (head && layout.IsHugetlb(page, pageAndNext))))
        {
            return (PageClass.User, order);
        }

        if (DumpLevel != 0 && layout.IsHwPoison(page))
        {
            return (PageClass.HwPoison, order);
        }

        if (DumpLevel != 0 && layout.IsOffline(page))
        {
            return (PageClass.Offline, order);
        }

        return (PageClass.Kept, 0);
    }

    private static bool Aligned(ulong pfn, int order) => order is >= 0 and < 64 && (pfn & ((1UL << order) - 1)) == 0;
}

/// <summary>A run of page frames [Start, End) that all have one class.</summary>
/// <param name="Start">The first pfn.</param>
/// <param name="End">The pfn after the last.</param>
/// <param name="Class">Their class.</param>
public readonly record struct PageRun(ulong Start, ulong End, PageClass Class)
{
    /// <summary>Whether the run holds no page frame.</summary>
    public bool IsEmpty => End <= Start;
}
