using Kdx.Core;
using Kdx.Core.Arch.X86_64;

namespace Kdx.Tests.Arch.X86_64;

public class X86_64KernelLayoutTests
{
    // A KASLR layout as Linux 6.1 may pick it (1 GiB-aligned bases in order).
    private static readonly X86_64KernelLayout Kaslr4 = new()
    {
        PageOffsetBase = 0xffff9a8b40000000,
        VmallocBase = 0xffffb7c3c0000000,
        VmemmapBase = 0xffffe4a780000000,
        PhysBase = unchecked((ulong)-0x28000000L),
        KernelOffset = 0x2a000000,
    };

    [Theory]
    [InlineData(0x0000000000400000UL, KernelAddressKind.User)]
    [InlineData(0x00007fffffffffffUL, KernelAddressKind.User)]
    [InlineData(0x0000800000000000UL, KernelAddressKind.NonCanonical)]
    [InlineData(0xffff7fffffffffffUL, KernelAddressKind.NonCanonical)]
    [InlineData(0xffff800000000000UL, KernelAddressKind.GuardHole)]
    [InlineData(0xffff880000001000UL, KernelAddressKind.LdtRemap)]
    [InlineData(0xffff888000000000UL, KernelAddressKind.Unused)]
    [InlineData(0xffff9a8b40000000UL, KernelAddressKind.DirectMap)]
    [InlineData(0xffffb7c3bfffffffUL, KernelAddressKind.DirectMap)]
    [InlineData(0xffffb7c3c0000000UL, KernelAddressKind.Vmalloc)]
    [InlineData(0xffffd7c3bfffffffUL, KernelAddressKind.Vmalloc)]
    [InlineData(0xffffd7c3c0000000UL, KernelAddressKind.Unused)]
    [InlineData(0xffffe4a780000000UL, KernelAddressKind.Vmemmap)]
    [InlineData(0xffffe5a77fffffffUL, KernelAddressKind.Vmemmap)]
    [InlineData(0xfffffe0000001000UL, KernelAddressKind.CpuEntryArea)]
    [InlineData(0xfffffe8000000000UL, KernelAddressKind.Unused)]
    [InlineData(0xffffff0000000000UL, KernelAddressKind.EspFix)]
    [InlineData(0xffffffef00000000UL, KernelAddressKind.Efi)]
    [InlineData(0xffffffff80000000UL, KernelAddressKind.KernelImage)]
    [InlineData(0xffffffffab000000UL, KernelAddressKind.KernelImage)]
    [InlineData(0xffffffffc0000000UL, KernelAddressKind.Modules)]
    [InlineData(0xfffffffffeffffffUL, KernelAddressKind.Modules)]
    [InlineData(0xffffffffff000000UL, KernelAddressKind.Fixmap)]
    [InlineData(0xffffffffff5ff000UL, KernelAddressKind.Fixmap)]
    [InlineData(0xffffffffff600000UL, KernelAddressKind.Vsyscall)]
    [InlineData(0xffffffffff7fe000UL, KernelAddressKind.Fixmap)]
    [InlineData(0xffffffffffe00000UL, KernelAddressKind.Unused)]
    public void Classifies_4_level_addresses(ulong address, KernelAddressKind kind) =>
        Kaslr4.Classify(address).ShouldBe(kind);

    [Theory]
    [InlineData(0x00ffffffffffffffUL, KernelAddressKind.User)]
    [InlineData(0x0100000000000000UL, KernelAddressKind.NonCanonical)]
    [InlineData(0xff00000000000000UL, KernelAddressKind.GuardHole)]
    [InlineData(0xff10000000000000UL, KernelAddressKind.LdtRemap)]
    [InlineData(0xff11000000000000UL, KernelAddressKind.DirectMap)]
    [InlineData(0xffa0000000000000UL, KernelAddressKind.Vmalloc)]
    [InlineData(0xffd1ffffffffffffUL, KernelAddressKind.Vmalloc)]
    [InlineData(0xffd4000000000000UL, KernelAddressKind.Vmemmap)]
    [InlineData(0xfffffe0000000000UL, KernelAddressKind.CpuEntryArea)]
    [InlineData(0xffffffff81000000UL, KernelAddressKind.KernelImage)]
    public void Classifies_5_level_addresses(ulong address, KernelAddressKind kind) =>
        X86_64KernelLayout.Defaults(5).Classify(address).ShouldBe(kind);

    [Fact]
    public void Direct_map_and_kernel_image_translate_arithmetically_with_negative_phys_base()
    {
        Kaslr4.TryTranslateLinear(0xffff9a8b40000000 + 0x1234567, out ulong pa, out ulong run).ShouldBeTrue();
        pa.ShouldBe(0x1234567UL);
        run.ShouldBe(0xffffb7c3c0000000 - (0xffff9a8b40000000 + 0x1234567));

        // _text at 0xffffffffab000000 is at physical 0xffffffffab000000 - __START_KERNEL_map - 0x28000000.
        Kaslr4.TryTranslateLinear(0xffffffffab000010, out pa, out run).ShouldBeTrue();
        pa.ShouldBe(0x3000010UL);
        run.ShouldBe(0xffffffffc0000000 - 0xffffffffab000010);
        Kaslr4.KernelImageToPhysical(0xffffffffab000010).ShouldBe(0x3000010UL);

        Kaslr4.TryTranslateLinear(0xffffb7c3c0000000, out _, out _).ShouldBeFalse(); // vmalloc
        Kaslr4.TryTranslateLinear(0xffffffffc0000000, out _, out _).ShouldBeFalse(); // modules
        Kaslr4.TryTranslateLinear(0xfffffe0000000000, out _, out _).ShouldBeFalse(); // cpu_entry_area
        Kaslr4.TryTranslateLinear(0xffffffffff5fd000, out _, out _).ShouldBeFalse(); // fixmap
    }

    [Fact]
    public void Physical_to_virtual_is_crash_s_PTOV()
    {
        Kaslr4.PhysicalToVirtual(0x1000).ShouldBe(0xffff9a8b40001000UL);
        Kaslr4.TryTranslateLinear(Kaslr4.PhysicalToVirtual(0x7fff123), out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe(0x7fff123UL);
    }

    [Fact]
    public void The_direct_map_ends_at_vmalloc_base_or_after_MAX_PHYSMEM_BITS()
    {
        Kaslr4.DirectMapEnd.ShouldBe(0xffffb7c3c0000000UL);
        var odd = Kaslr4 with { VmallocBase = 0xffffc90000000000, PageOffsetBase = 0xffffd00000000000 };
        odd.DirectMapEnd.ShouldBe(X86_64KernelLayout.CpuEntryAreaBase);
        (odd with { PageOffsetBase = 0xffff900000000000, VmallocBase = 0xffff888000000000 }).DirectMapEnd.ShouldBe(0xffff900000000000UL + (1UL << 46));
        (odd with { PageOffsetBase = 0xffffff0000000000 }).DirectMapEnd.ShouldBe(0xffffff0000000000UL);
        X86_64KernelLayout.Defaults(5).DirectMapEnd.ShouldBe(X86_64KernelLayout.DefaultVmallocL5);
    }

    [Fact]
    public void Per_cpu_addresses_add_the_cpu_s_offset()
    {
        var layout = Kaslr4 with { PerCpuOffsets = [0xffff9a8b7fa00000, 0xffff9a8b7fa40000] };

        layout.PerCpuAddress(0x2b3c0, 1).ShouldBe(0xffff9a8b7fa6b3c0UL);
        Should.Throw<KdxException>(() => layout.PerCpuAddress(0x2b3c0, 2)).Message.ShouldContain("2 possible CPUs");
        Should.Throw<KdxException>(() => layout.PerCpuAddress(0x2b3c0, -1));
        Should.Throw<KdxException>(() => Kaslr4.PerCpuAddress(0x2b3c0, 0)).Message.ShouldContain("__per_cpu_offset");
    }

    [Fact]
    public void Defaults_are_the_non_KASLR_layouts()
    {
        var l4 = X86_64KernelLayout.Defaults(4);
        l4.PageOffsetBase.ShouldBe(0xffff888000000000UL);
        l4.VmallocBase.ShouldBe(0xffffc90000000000UL);
        l4.VmemmapBase.ShouldBe(0xffffea0000000000UL);
        l4.UserTop.ShouldBe(0x0000800000000000UL);
        l4.LdtRemapStart.ShouldBe(0xffff880000000000UL);
        l4.VmallocEnd.ShouldBe(0xffffe90000000000UL);
        l4.VmemmapEnd.ShouldBe(0xffffeb0000000000UL);
        var l5 = X86_64KernelLayout.Defaults(5);
        l5.PageOffsetBase.ShouldBe(0xff11000000000000UL);
        l5.LdtRemapStart.ShouldBe(0xff10000000000000UL);
        l5.VmallocEnd.ShouldBe(0xffd2000000000000UL);
        l5.UserTop.ShouldBe(0x0100000000000000UL);
        l5.ModulesStart.ShouldBe(0xffffffffc0000000UL);
        Should.Throw<ArgumentOutOfRangeException>(() => X86_64KernelLayout.Defaults(3));
    }

    [Fact]
    public void Describes_each_value_and_how_it_was_found()
    {
        var layout = Kaslr4 with
        {
            Sources = new Dictionary<LayoutItem, LayoutSource>
            {
                [LayoutItem.PhysBase] = LayoutSource.VmcoreInfo,
                [LayoutItem.PageOffsetBase] = LayoutSource.PageTableScan,
            },
        };

        var lines = layout.Describe();

        lines.ShouldContain(("phys_base", "ffffffffd8000000", "VMCOREINFO"));
        lines.ShouldContain(("page_offset_base", "ffff9a8b40000000", "page-table scan"));
        lines.ShouldContain(("vmalloc_base", "ffffb7c3c0000000", "default (not found in the dump)"));
        lines.ShouldContain(("KERNELOFFSET", "000000002a000000", "default (not found in the dump)"));
        layout.SourceOf(LayoutItem.VmemmapBase).ShouldBe(LayoutSource.Default);
        Enum.GetValues<LayoutSource>().Select(s => s.Describe()).Distinct().Count().ShouldBe(Enum.GetValues<LayoutSource>().Length);
    }
}
