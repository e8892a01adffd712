using Kdx.Core.Dumps;
using Kdx.Core.Linux.Mm;

namespace Kdx.Tests.Linux.Mm;

public class PageTypeTests
{
    [Theory]
    [InlineData(-129L, PageTypeScheme.LowBitsCleared)] // 6.1 buddy: ~0x80
    [InlineData(-4097L, PageTypeScheme.LowBitsCleared)] // 6.10 slab: ~0x1000
    [InlineData(-1073741825L, PageTypeScheme.HighBitsCleared)] // 6.11 buddy: ~0x40000000
    [InlineData(-33554433L, PageTypeScheme.HighBitsCleared)] // 6.11 slab: ~0x02000000
    [InlineData(-268435456L, PageTypeScheme.TopByte)] // 6.12 buddy: 0xf0 << 24
    [InlineData(-184549376L, PageTypeScheme.TopByte)] // 6.12 slab: 0xf5 << 24
    [InlineData(0xf5000000L, PageTypeScheme.TopByte)] // the same written unsigned
    public void The_encoding_is_told_by_the_form_of_the_exported_value(long exported, PageTypeScheme scheme)
    {
        var t = PageType.FromExported(exported).ShouldNotBeNull();
        t.Scheme.ShouldBe(scheme);
        t.Exported.ShouldBe(unchecked((uint)exported));
        t.Matches(t.Exported).ShouldBeTrue();
    }

    [Theory]
    [InlineData(-1L)] // a mapcount, not a type
    [InlineData(0x1234L)] // no type bits at all
    [InlineData(0x7f000000L)] // a top byte below 0x80
    [InlineData(0xff000000L)] // PGTY_mapcount_underflow
    [InlineData(1L << 40)]
    [InlineData(long.MinValue)]
    public void Values_of_no_known_encoding_give_no_type(long exported) =>
        PageType.FromExported(exported).ShouldBeNull();

    [Fact]
    public void Old_scheme_tests_one_bit_under_page_type_base()
    {
        var buddy = PageType.FromExported(-129).ShouldNotBeNull();
        buddy.Matches(0xffffff7f).ShouldBeTrue();
        buddy.Matches(0xffffffff).ShouldBeFalse(); // mapcount -1: no type
        buddy.Matches(0x00000000).ShouldBeFalse(); // mapped once
        buddy.Matches(0x7fffff7f).ShouldBeFalse(); // PAGE_TYPE_BASE bits not all set
        buddy.Matches(0xfffffe7f).ShouldBeTrue(); // another bit cleared as well still reads as buddy (PageType())
        buddy.HasAnyType(0xffffff7f).ShouldBeTrue();
        buddy.HasAnyType(0xffffff80).ShouldBeFalse(); // -128: PAGE_MAPCOUNT_RESERVE, a mapcount underflow
    }

    [Fact]
    public void V611_scheme_lets_the_owner_use_the_low_16_bits()
    {
        var slab = PageType.FromExported(-33554433).ShouldNotBeNull();
        slab.Matches(0xfdffffff).ShouldBeTrue();
        slab.Matches(0xfdff0123).ShouldBeTrue();
        slab.Matches(0xbfffffff).ShouldBeFalse(); // buddy
        slab.HasAnyType(0xfdff0000).ShouldBeTrue();
        slab.HasAnyType(0xffff0000).ShouldBeFalse(); // ~0xffff: the reserve for underflows
    }

    [Fact]
    public void Top_byte_scheme_compares_the_top_byte_only()
    {
        var slab = PageType.FromExported(-184549376).ShouldNotBeNull();
        slab.Matches(0xf5000000).ShouldBeTrue();
        slab.Matches(0xf5001234).ShouldBeTrue(); // the low 24 bits belong to the owner
        slab.Matches(0xf0000000).ShouldBeFalse(); // buddy
        slab.Matches(0xf4000000).ShouldBeFalse(); // hugetlb
        slab.Matches(0xffffffff).ShouldBeFalse();
        slab.HasAnyType(0xf0000000).ShouldBeTrue();
        slab.HasAnyType(0xff000000).ShouldBeFalse(); // PGTY_mapcount_underflow
        slab.HasAnyType(0x00000003).ShouldBeFalse();
        slab.HasAnyType(0xffffffff).ShouldBeFalse();
    }

    [Fact]
    public void Layout_reports_the_scheme_of_the_kernel()
    {
        Kernel.V61.Layout.Scheme.ShouldBe(PageTypeScheme.LowBitsCleared);
        Kernel.V610.Layout.Scheme.ShouldBe(PageTypeScheme.LowBitsCleared);
        Kernel.V611.Layout.Scheme.ShouldBe(PageTypeScheme.HighBitsCleared);
        Kernel.V612.Layout.Scheme.ShouldBe(PageTypeScheme.TopByte);
        StructPageLayout.FromVmcoreInfo(VmcoreInfo.Parse("SIZE(page)=64\n")).Scheme.ShouldBeNull();
    }
}
