using Kdx.Core;
using Kdx.Core.Dumps;
using Kdx.Core.Linux.Mm;

namespace Kdx.Tests.Linux.Mm;

public class MemMapTests
{
    private const ulong Vmemmap = 0xfffff4b100000000;
    private const ulong Roots = 0xffff89ce9ffd9000;
    private const ulong RootPage = 0xffff89ce9ffda000;
    private const ulong PagesPerSection = 1 << 15;

    private static VmcoreInfo Info(string extra = "", ulong symbol = Roots, long length = 2048) => VmcoreInfo.Parse(
        $"SIZE(page)=64\nSYMBOL(mem_section)={symbol:x}\nLENGTH(mem_section)={length}\nSIZE(mem_section)=16\n" +
        $"OFFSET(mem_section.section_mem_map)=0\nNUMBER(SECTION_SIZE_BITS)=27\nNUMBER(MAX_PHYSMEM_BITS)=46\n{extra}");

    // Sections 0 and 1 have a mem_map; 2 is empty; 3 is present without one (hot-removed memory).
    private static FakeKernelMemory Extreme()
    {
        var m = new FakeKernelMemory();
        m.WriteUInt64(Roots, RootPage);
        m.WriteUInt64(RootPage, Vmemmap | 0x1f);
        m.WriteUInt64(RootPage + 16, Vmemmap | 0x3);
        m.WriteUInt64(RootPage + 48, Vmemmap | 0x1);
        return m;
    }

    [Fact]
    public void Sparsemem_extreme_sections_give_each_pfn_its_struct_page()
    {
        var map = MemMap.Read(Extreme(), Info(), 4096, 4 * PagesPerSection);
        map.Source.ShouldBe("mem_section");
        map.PresentSections.ShouldBe(2);
        map.PfnSectionShift.ShouldBe(15);
        map.TryGetStructPage(0, out ulong a).ShouldBeTrue();
        a.ShouldBe(Vmemmap);
        map.TryGetStructPage(PagesPerSection + 5, out a).ShouldBeTrue();
        a.ShouldBe(Vmemmap + ((PagesPerSection + 5) * 64));
        map.TryGetStructPage((2 * PagesPerSection) + 1, out _).ShouldBeFalse();
        map.TryGetStructPage(3 * PagesPerSection, out _).ShouldBeFalse();
        map.TryGetStructPage(100 * PagesPerSection, out _).ShouldBeFalse();
        map.ContiguousFrom(PagesPerSection - 3).ShouldBe(3UL);
        map.ContiguousFrom(PagesPerSection).ShouldBe(PagesPerSection);
    }

    [Fact]
    public void A_symbol_that_points_at_the_root_array_is_followed()
    {
        // A vmlinux symbol table gives the address of the mem_section pointer, not the array (Linux v4.15+).
        var m = Extreme();
        const ulong pointer = 0xffffffff84d6a000;
        m.WriteUInt64(pointer, Roots);
        var map = MemMap.Read(m, Info(symbol: pointer), 4096, 2 * PagesPerSection);
        map.PresentSections.ShouldBe(2);
    }

    [Fact]
    public void A_flat_mem_section_array_is_read_without_roots()
    {
        var m = new FakeKernelMemory();
        m.WriteUInt64(Roots + 16, Vmemmap | 0x3);
        var map = MemMap.Read(m, Info(length: 1 << 19), 4096, 2 * PagesPerSection);
        map.TryGetStructPage(0, out _).ShouldBeFalse();
        map.TryGetStructPage(PagesPerSection, out ulong a).ShouldBeTrue();
        a.ShouldBe(Vmemmap + (PagesPerSection * 64));
    }

    [Fact]
    public void Without_mem_section_the_vmemmap_symbol_serves()
    {
        var map = MemMap.Read(new FakeKernelMemory(), VmcoreInfo.Parse($"SIZE(page)=64\nSYMBOL(vmemmap)={Vmemmap:x}\n"), 4096, 100);
        map.Source.ShouldBe("vmemmap");
        map.TryGetStructPage(99, out ulong a).ShouldBeTrue();
        a.ShouldBe(Vmemmap + (99 * 64));

        // An unreadable mem_section falls back to it too.
        var fallback = MemMap.Read(new FakeKernelMemory(), Info($"SYMBOL(vmemmap)={Vmemmap:x}\n"), 4096, 100);
        fallback.Source.ShouldBe("vmemmap");
    }

    [Fact]
    public void A_mem_map_that_decodes_to_a_user_address_is_not_trusted()
    {
        var m = new FakeKernelMemory();
        m.WriteUInt64(Roots, RootPage);
        m.WriteUInt64(RootPage, 0x0000700000000000 | 0x3);
        Should.Throw<KdxException>(() => MemMap.Read(m, Info(), 4096, PagesPerSection)).Message.ShouldContain("mem_section");
    }

    [Fact]
    public void Missing_vmcoreinfo_gives_clear_errors()
    {
        var m = new FakeKernelMemory();
        Should.Throw<KdxException>(() => MemMap.Read(m, VmcoreInfo.Parse("OSRELEASE=6.1\n"), 4096, 10)).Message.ShouldContain("SIZE(page)");
        Should.Throw<KdxException>(() => MemMap.Read(m, VmcoreInfo.Parse("SIZE(page)=64\n"), 4096, 10)).Message.ShouldContain("SECTION_SIZE_BITS");
        Should.Throw<KdxException>(() => MemMap.Read(m, Info(), 4096, 10)).Message.ShouldContain("cannot read the kernel's mem_section table");
    }

    [Fact]
    public void A_huge_pfn_range_is_refused()
    {
        Should.Throw<KdxException>(() => MemMap.Read(Extreme(), Info(), 4096, ulong.MaxValue / 2)).Message.ShouldContain("limit");
    }
}
