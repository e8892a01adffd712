using Kdx.Core.Linux.Mm;

namespace Kdx.Tests.Linux.Mm;

public class DumpLevelFilterTests
{
    private const ulong Vmemmap = 0xffffea0000000000;

    private static (DumpLevelFilter Filter, FakeKernelMemory Memory) Build(Kernel k, StructPages pages, int level)
    {
        var memory = new FakeKernelMemory();
        memory.Write(Vmemmap, pages.Bytes);
        var map = MemMap.FromVmemmap(Vmemmap, k.Layout.Size, 15, (ulong)pages.Count);
        return (new DumpLevelFilter(memory, k.Layout, map, level), memory);
    }

    [Fact]
    public void Streams_over_chunks_and_carries_a_gigantic_page_across_them()
    {
        var k = Kernel.V612;
        // 16384 frames = four 4096-frame chunks; an order-13 anonymous folio covers chunks 2 and 3.
        var pages = new StructPages(k, 16384, Vmemmap)
            .Buddy(8, 3)
            .Page(100, k.Flag("PG_lru"), 0xffff888003a1c2d8)
            .Slab(200)
            .Compound(8192, 13, flags: k.Flag("PG_lru") | k.Flag("PG_swapbacked"), mapping: 0xffff888004b2c001, mapcount: 0);
        var (filter, memory) = Build(k, pages, 31);

        var kept = new List<ulong>();
        for (ulong pfn = 0; pfn < 16384; pfn++)
        {
            if (filter.Keep(pfn))
            {
                kept.Add(pfn);
            }
        }

        filter.DumpLevel.ShouldBe(30);
        var c = filter.Counts;
        c[PageClass.Free].ShouldBe(8);
        c[PageClass.Cache].ShouldBe(1);
        c[PageClass.User].ShouldBe(8192);
        c[PageClass.Kept].ShouldBe(16384 - 8 - 1 - 8192);
        c.Excluded.ShouldBe(8 + 1 + 8192);
        kept.ShouldContain(200UL);
        kept.ShouldNotContain(100UL);
        kept.ShouldNotContain(12345UL);
        kept.Max().ShouldBe(8191UL);
        memory.Reads.ShouldBeLessThan(20); // one read per 4096 struct pages
    }

    [Fact]
    public void Frames_whose_struct_pages_cannot_be_read_are_kept()
    {
        var k = Kernel.V612;
        var pages = new StructPages(k, 4096, Vmemmap);
        for (int i = 0; i < 4096; i += 8)
        {
            pages.Buddy(i, 3);
        }

        var (filter, memory) = Build(k, pages, 16);
        memory.Excluded.Add(Vmemmap + 0x1000); // the struct pages of frames 64 … 127
        for (ulong pfn = 0; pfn < 4096; pfn++)
        {
            filter.Keep(pfn).ShouldBe(pfn is >= 64 and < 128, $"pfn {pfn}");
        }

        filter.Counts[PageClass.Unreadable].ShouldBe(64);
        filter.Counts[PageClass.Free].ShouldBe(4096 - 64);
    }

    [Fact]
    public void A_section_without_mem_map_keeps_its_frames()
    {
        var k = Kernel.V61;
        var memory = new FakeKernelMemory();
        var map = MemMap.FromVmemmap(Vmemmap, 64, 15, 10);
        var filter = new DumpLevelFilter(memory, k.Layout, map, 31);
        filter.Keep(5).ShouldBeTrue(); // the vmemmap is not mapped at all
        filter.Keep(1UL << 20).ShouldBeTrue(); // beyond every section: firmware or device memory
        filter.Counts[PageClass.Unreadable].ShouldBe(1);
        filter.Counts[PageClass.NoStructPage].ShouldBe(1);
        filter.Counts.Excluded.ShouldBe(0);
    }

    [Fact]
    public void Asking_out_of_order_gives_the_same_classes()
    {
        var k = Kernel.V61;
        var pages = new StructPages(k, 8192, Vmemmap).Buddy(4096, 4).Page(7, k.Flag("PG_lru"), 0xffff888003a1c2d8);
        var (filter, _) = Build(k, pages, 31);
        filter.Classify(4100).ShouldBe(PageClass.Free);
        filter.Classify(7).ShouldBe(PageClass.Cache);
        filter.Classify(4100).ShouldBe(PageClass.Free);
        filter.Classify(4112).ShouldBe(PageClass.Kept);
    }

    [Fact]
    public void A_map_with_another_struct_page_size_is_refused()
    {
        var k = Kernel.V61;
        Should.Throw<ArgumentException>(() => new DumpLevelFilter(new FakeKernelMemory(), k.Layout, MemMap.FromVmemmap(Vmemmap, 56, 15, 10), 31));
    }
}
