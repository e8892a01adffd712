using Kdx.Core.Dumps;
using Kdx.Core.Linux.Mm;

namespace Kdx.Tests.Linux.Mm;

public class StructPageLayoutTests
{
    [Theory]
    [MemberData(nameof(Kernel.Names), MemberType = typeof(Kernel))]
    public void Every_test_kernel_can_do_every_level(string kernel) =>
        Kernel.ByName(kernel).Layout.Missing(31).ShouldBeEmpty();

    [Fact]
    public void The_6_1_layout_matches_its_vmcoreinfo()
    {
        var l = Kernel.V61.Layout;
        l.Size.ShouldBe(64);
        l.MapCountOffset.ShouldBe(48);
        l.OrderByteOffset.ShouldBe(64 + 17);
        l.DtorByteOffset.ShouldBe(64 + 16);
        l.HeadMask.ShouldBe(65536UL);
        l.PgSlab.ShouldBe(9);
        l.Slab.ShouldBeNull();
        l.FreeAreaOrders.ShouldBe(11);
    }

    [Fact]
    public void From_6_6_the_order_is_the_low_byte_of_the_first_tail_flags()
    {
        Kernel.V612.Layout.OrderByteOffset.ShouldBe(64);
        Kernel.V612.Layout.DtorByteOffset.ShouldBeNull();
        Kernel.V64.Layout.OrderByteOffset.ShouldBe(81);
        Kernel.V64.Layout.DtorByteOffset.ShouldBe(80);
    }

    [Fact]
    public void Old_and_renamed_fields_are_found()
    {
        var l = StructPageLayout.FromVmcoreInfo(VmcoreInfo.Parse("SIZE(page)=64\nOFFSET(page._count)=28\nOFFSET(page.compound_info)=8\n"));
        l.RefCountOffset.ShouldBe(28);
        l.CompoundHeadOffset.ShouldBe(8);
    }

    [Fact]
    public void Missing_entries_are_named_per_level()
    {
        var l = StructPageLayout.FromVmcoreInfo(VmcoreInfo.Parse("SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page.mapping)=24\n"));
        l.Missing(0).ShouldBeEmpty();
        l.Missing(1).ShouldBeEmpty();
        l.Missing(2).ShouldContain("NUMBER(PG_lru)");
        l.Missing(2).ShouldContain("NUMBER(PG_slab) or NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)");
        l.Missing(8).ShouldNotContain("NUMBER(PG_lru)");
        l.Missing(16).ShouldBe(["NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", "OFFSET(page._mapcount)", "OFFSET(page.private)"]);
        StructPageLayout.FromVmcoreInfo(VmcoreInfo.Parse("OSRELEASE=x\n")).Missing(0).ShouldContain("SIZE(page)");
    }

    [Fact]
    public void Fields_outside_the_struct_page_are_refused()
    {
        var l = StructPageLayout.FromVmcoreInfo(VmcoreInfo.Parse("SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page.mapping)=60\n"));
        l.Missing(0).ShouldContain("OFFSET(page.mapping) inside SIZE(page) (it is 60)");
        StructPageLayout.FromVmcoreInfo(VmcoreInfo.Parse("SIZE(page)=100000\n")).Missing(0).ShouldContain("SIZE(page)");
        // Offsets and flag numbers out of any sane range are ignored rather than trusted.
        var hostile = StructPageLayout.FromVmcoreInfo(VmcoreInfo.Parse("SIZE(page)=64\nOFFSET(page.flags)=-8\nNUMBER(PG_lru)=64\nLENGTH(zone.free_area)=1000\n"));
        hostile.FlagsOffset.ShouldBeNull();
        hostile.PgLru.ShouldBeNull();
        hostile.FreeAreaOrders.ShouldBe(32);
    }

    [Fact]
    public void Decode_reads_each_field_and_a_short_buffer_reads_as_zeros()
    {
        var k = Kernel.V612;
        var pages = new StructPages(k, 1).Page(0, flags: 0x40, mapping: 0xffff888004b2c001, mapcount: 0xf5000000, priv: 7, compoundHead: 0x1234, refcount: 3);
        var p = k.Layout.Decode(pages.Bytes.AsSpan(0, 64));
        (p.Flags & 0xff).ShouldBe(0x40UL);
        p.Mapping.ShouldBe(0xffff888004b2c001);
        p.MapCount.ShouldBe(0xf5000000u);
        p.Private.ShouldBe(7UL);
        p.CompoundHead.ShouldBe(0x1234UL);
        p.RefCount.ShouldBe(3u);
        p.HasAnonMapping.ShouldBeTrue();
        p.IsTail.ShouldBeFalse();
        k.Layout.IsSlab(p).ShouldBeTrue();
        k.Layout.IsHead(p).ShouldBeTrue();
        k.Layout.Decode(new byte[8]).Mapping.ShouldBe(0UL);
        p.Test(null).ShouldBeFalse();
        p.Test(64).ShouldBeFalse();
    }
}
