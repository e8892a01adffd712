using Kdx.Core.Linux.Mm;

namespace Kdx.Tests.Linux.Mm;

public class PageClassifierTests
{
    private const ulong FirstPfn = 0x10000;

    private static PageClass[] Classify(Kernel k, StructPages pages, int level, out PageRun carry, bool[]? readable = null)
    {
        var classes = new PageClass[pages.Count];
        carry = new PageClassifier(k.Layout, level).Classify(FirstPfn, pages.Bytes, readable ?? pages.AllReadable, classes);
        return classes;
    }

    private static PageClass[] Classify(Kernel k, StructPages pages, int level) => Classify(k, pages, level, out _);

    private static PageClass One(Kernel k, int level, Action<StructPages> build)
    {
        var pages = new StructPages(k, 4);
        build(pages);
        return Classify(k, pages, level)[0];
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void A_plain_kernel_page_is_kept_at_every_level(string kernel)
    {
        var k = Kernel.ByName(kernel);
        Classify(k, new StructPages(k, 8), 31).ShouldAllBe(c => c == PageClass.Kept);
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void Buddy_blocks_of_several_orders_are_free_as_a_whole(string kernel)
    {
        var k = Kernel.ByName(kernel);
        var pages = new StructPages(k, 32).Buddy(0, 0).Buddy(4, 2).Buddy(16, 4);
        var c = Classify(k, pages, 16);

        c[0].ShouldBe(PageClass.Free);
        c[1..4].ShouldAllBe(x => x == PageClass.Kept);
        c[4..8].ShouldAllBe(x => x == PageClass.Free);
        c[8..16].ShouldAllBe(x => x == PageClass.Kept);
        c[16..32].ShouldAllBe(x => x == PageClass.Free);
        Classify(k, pages, 2 | 4 | 8).ShouldAllBe(x => x == PageClass.Kept);
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void A_bogus_or_misaligned_buddy_order_keeps_the_page(string kernel)
    {
        var k = Kernel.ByName(kernel);
        One(k, 16, p => p.Buddy(0, 11)).ShouldBe(PageClass.Kept); // LENGTH(zone.free_area) is 11
        var pages = new StructPages(k, 8).Buddy(2, 2);
        Classify(k, pages, 16).ShouldAllBe(x => x == PageClass.Kept);
    }

    [Fact]
    public void A_buddy_block_that_runs_past_the_end_is_returned_as_a_run()
    {
        var k = Kernel.V612;
        var pages = new StructPages(k, 12).Buddy(8, 3);
        var c = Classify(k, pages, 16, out var carry);
        c[8..].ShouldAllBe(x => x == PageClass.Free);
        carry.ShouldBe(new PageRun(FirstPfn + 12, FirstPfn + 16, PageClass.Free));
        carry.IsEmpty.ShouldBeFalse();
        Classify(k, new StructPages(k, 8).Buddy(0, 3), 16, out var none);
        none.IsEmpty.ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void Page_cache_without_private_data_goes_at_level_2_and_with_it_at_level_4(string kernel)
    {
        var k = Kernel.ByName(kernel);
        ulong lru = k.Flag("PG_lru");
        ulong file = 0xffff888003a1c2d8; // an address_space: bit 0 clear
        One(k, 2, p => p.Page(0, lru, file)).ShouldBe(PageClass.Cache);
        One(k, 4, p => p.Page(0, lru, file)).ShouldBe(PageClass.Cache);
        One(k, 8 | 16, p => p.Page(0, lru, file)).ShouldBe(PageClass.Kept);
        One(k, 2, p => p.Page(0, lru | k.Flag("PG_private"), file)).ShouldBe(PageClass.Kept);
        One(k, 4, p => p.Page(0, lru | k.Flag("PG_private"), file)).ShouldBe(PageClass.CachePrivate);
        One(k, 6, p => p.Page(0, lru | k.Flag("PG_private"), file)).ShouldBe(PageClass.CachePrivate);
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void Swap_cache_counts_only_with_swapbacked(string kernel)
    {
        var k = Kernel.ByName(kernel);
        ulong swap = k.Flag("PG_swapcache");
        One(k, 2, p => p.Page(0, swap | k.Flag("PG_swapbacked"), 0xffff888003a1c000)).ShouldBe(PageClass.Cache);
        // Without PG_swapbacked the bit is PG_owner_priv_1 (e.g. a filesystem's PG_checked): not a cache page by itself.
        One(k, 2, p => p.Page(0, swap, 0xffff888003a1c000)).ShouldBe(PageClass.Kept);
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void Anonymous_memory_is_user_data_never_cache(string kernel)
    {
        var k = Kernel.ByName(kernel);
        ulong anonFlags = k.Flag("PG_lru") | k.Flag("PG_swapbacked");
        ulong anonVma = 0xffff888004b2c001;
        One(k, 8, p => p.Page(0, anonFlags, anonVma, mapcount: 0)).ShouldBe(PageClass.User);
        One(k, 2 | 4 | 16, p => p.Page(0, anonFlags, anonVma, mapcount: 0)).ShouldBe(PageClass.Kept);
        // KSM pages carry PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE.
        One(k, 8, p => p.Page(0, anonFlags, anonVma | 2, mapcount: 1)).ShouldBe(PageClass.User);
        // A non-LRU movable page (zsmalloc, balloon) has only PAGE_MAPPING_MOVABLE: not user data.
        One(k, 8, p => p.Page(0, 0, 0xffff888004b2c002)).ShouldBe(PageClass.Kept);
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void A_slab_page_is_never_dropped_even_with_an_odd_mapping_word(string kernel)
    {
        // Since Linux 6.2 page.mapping overlays slab.slabs, often odd; makedumpfile 1.7.2 drops such slabs on 6.10+ at -d 8.
        var k = Kernel.ByName(kernel);
        foreach (ulong word in new ulong[] { 1, 3, 0x15, 0xdead000000000001 })
        {
            One(k, 31, p => p.Slab(0, word)).ShouldBe(PageClass.Kept);
        }

        // A slab head of order 2 keeps its tails too.
        var pages = new StructPages(k, 4);
        if (k.SlabIsType)
        {
            pages.Compound(0, 2, mapping: 1, mapcount: k.Type("SLAB"));
        }
        else
        {
            pages.Compound(0, 2, flags: k.Flag("PG_slab"), mapping: 1);
        }

        Classify(k, pages, 31).ShouldAllBe(c => c == PageClass.Kept);
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void A_slab_page_with_lru_or_private_looking_bits_is_still_kept(string kernel)
    {
        var k = Kernel.ByName(kernel);
        ulong bits = k.Flag("PG_lru") | k.Flag("PG_swapcache") | k.Flag("PG_swapbacked");
        One(k, 31, p => p.Slab(0, 0xffff888003a1c000).Flags(0, bits)).ShouldBe(PageClass.Kept);
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void An_anonymous_compound_page_is_dropped_whole_its_tails_with_it(string kernel)
    {
        var k = Kernel.ByName(kernel);
        var pages = new StructPages(k, 16).Compound(4, 2, flags: k.Flag("PG_lru") | k.Flag("PG_swapbacked"), mapping: 0xffff888004b2c001, mapcount: 0);
        var c = Classify(k, pages, 8);
        c[..4].ShouldAllBe(x => x == PageClass.Kept);
        c[4..8].ShouldAllBe(x => x == PageClass.User);
        c[8..].ShouldAllBe(x => x == PageClass.Kept);
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void A_large_page_cache_folio_is_cache_as_a_whole(string kernel)
    {
        var k = Kernel.ByName(kernel);
        var pages = new StructPages(k, 8).Compound(0, 3, flags: k.Flag("PG_lru"), mapping: 0xffff888003a1c2d8);
        Classify(k, pages, 2).ShouldAllBe(x => x == PageClass.Cache);
        Classify(k, pages, 8).ShouldAllBe(x => x == PageClass.Kept);
    }

    [Fact]
    public void A_compound_page_past_the_end_is_returned_as_a_run()
    {
        var k = Kernel.V612;
        var pages = new StructPages(k, 8).Compound(0, 4, flags: k.Flag("PG_lru"), mapping: 0xffff888004b2c001, mapcount: 0);
        var c = Classify(k, pages, 8, out var carry);
        c.ShouldAllBe(x => x == PageClass.User);
        carry.ShouldBe(new PageRun(FirstPfn + 8, FirstPfn + 16, PageClass.User));
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void Hugetlb_pages_are_user_data_as_each_kernel_marks_them(string kernel)
    {
        var k = Kernel.ByName(kernel);
        var pages = new StructPages(k, 8);
        if (k.Info.Number("PAGE_HUGETLB_MAPCOUNT_VALUE") is not null)
        {
            pages.Compound(0, 3, mapcount: k.Type("HUGETLB")); // the head's page type (v6.9+)
        }
        else if (k.Info.Number("PG_hugetlb") is not null)
        {
            pages.Compound(0, 3).Flags(1, k.Flag("PG_hugetlb")); // a flag of the first tail (v6.6 to v6.8)
        }
        else
        {
            pages.Compound(0, 3, dtor: 2); // HUGETLB_PAGE_DTOR in the first tail
        }

        Classify(k, pages, 8).ShouldAllBe(x => x == PageClass.User);
        Classify(k, pages, 2 | 4 | 16).ShouldAllBe(x => x == PageClass.Kept);
    }

    [Fact]
    public void Another_compound_destructor_is_not_hugetlb()
    {
        var k = Kernel.V61;
        Classify(k, new StructPages(k, 8).Compound(0, 3, dtor: 1), 8).ShouldAllBe(x => x == PageClass.Kept);
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void A_bogus_compound_order_decides_for_the_head_alone(string kernel)
    {
        var k = Kernel.ByName(kernel);
        var pages = new StructPages(k, 8).Compound(2, 3, flags: k.Flag("PG_lru"), mapping: 0xffff888004b2c001, mapcount: 0);
        var c = Classify(k, pages, 8); // order 3 at index 2 is misaligned: only the head goes, its "tails" stay
        c[2].ShouldBe(PageClass.User);
        c.Count(x => x == PageClass.User).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void Offline_pages_go_at_every_filtering_level_but_not_unfiltered(string kernel)
    {
        var k = Kernel.ByName(kernel);
        One(k, 2, p => p.Page(0, mapcount: k.Type("OFFLINE"))).ShouldBe(PageClass.Offline);
        One(k, 16, p => p.Page(0, mapcount: k.Type("OFFLINE"))).ShouldBe(PageClass.Offline);
        One(k, 0, p => p.Page(0, mapcount: k.Type("OFFLINE"))).ShouldBe(PageClass.Kept);
        One(k, 1, p => p.Page(0, mapcount: k.Type("OFFLINE"))).ShouldBe(PageClass.Kept);
    }

    [Fact]
    public void Hwpoison_pages_go_when_the_kernel_exports_the_flag()
    {
        var k = Kernel.V612;
        One(k, 2, p => p.Page(0, k.Flag("PG_hwpoison"))).ShouldBe(PageClass.HwPoison);
        One(Kernel.V61, 2, p => p.Page(0, 1UL << 20)).ShouldBe(PageClass.Kept);
    }

    [Fact]
    public void Unaccepted_memory_is_free_in_blocks_of_the_largest_order()
    {
        var k = Kernel.V612;
        var pages = new StructPages(k, 2048).Page(1024, mapcount: k.Type("UNACCEPTED"));
        var c = Classify(k, pages, 16);
        c[..1024].ShouldAllBe(x => x == PageClass.Kept);
        c[1024..].ShouldAllBe(x => x == PageClass.Free);
        Classify(k, new StructPages(k, 4).Page(1, mapcount: k.Type("UNACCEPTED")), 16).ShouldAllBe(x => x == PageClass.Kept); // misaligned
    }

    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void A_typed_page_with_an_odd_mapping_word_is_not_user_data(string kernel)
    {
        // e.g. an offline or page-table page whose mapping word holds something else: never taken for anon memory.
        var k = Kernel.ByName(kernel);
        One(k, 8, p => p.Page(0, mapping: 1, mapcount: k.Type("BUDDY"))).ShouldBe(PageClass.Kept);
    }

    [Fact]
    public void Unreadable_struct_pages_are_kept_and_a_head_without_a_readable_first_tail_goes_alone()
    {
        var k = Kernel.V612;
        var pages = new StructPages(k, 8).Compound(4, 2, flags: k.Flag("PG_lru"), mapping: 0xffff888004b2c001, mapcount: 0);
        var readable = pages.AllReadable;
        readable[0] = readable[5] = false;
        var c = Classify(k, pages, 8, out _, readable);
        c[0].ShouldBe(PageClass.Unreadable);
        c[4].ShouldBe(PageClass.User);
        c[5].ShouldBe(PageClass.Unreadable);
        c[6..].ShouldAllBe(x => x == PageClass.Kept);
    }

    [Fact]
    public void Level_bits_outside_the_kernel_aware_ones_are_ignored()
    {
        new PageClassifier(Kernel.V61.Layout, 31).DumpLevel.ShouldBe(30);
        new PageClassifier(Kernel.V61.Layout, 1 | 64).DumpLevel.ShouldBe(0);
    }

    [Fact]
    public void Too_few_struct_pages_is_a_caller_error()
    {
        var k = Kernel.V61;
        Should.Throw<ArgumentException>(() => new PageClassifier(k.Layout, 31).Classify(0, new byte[64], [true, true], new PageClass[2]));
    }
}
