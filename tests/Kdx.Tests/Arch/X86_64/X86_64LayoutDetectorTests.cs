using Kdx.Core.Arch.X86_64;
using Kdx.Core.Dumps;
using Kdx.Core.Memory;

namespace Kdx.Tests.Arch.X86_64;

public class X86_64LayoutDetectorTests
{
    private const ulong La57 = 1UL << 12;

    private static void ShouldHaveTheRegionsOf(X86_64KernelLayout layout, FakeKernel k, LayoutSource source)
    {
        layout.PageOffsetBase.ShouldBe(k.PageOffsetBase);
        layout.VmallocBase.ShouldBe(k.VmallocBase);
        layout.VmemmapBase.ShouldBe(k.VmemmapBase);
        layout.SourceOf(LayoutItem.PageOffsetBase).ShouldBe(source);
        layout.SourceOf(LayoutItem.VmallocBase).ShouldBe(source);
        layout.SourceOf(LayoutItem.VmemmapBase).ShouldBe(source);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void From_VMCOREINFO_alone(int levels)
    {
        var k = new FakeKernel(levels);
        k.Dump.Info = k.VmcoreInfo();

        var layout = X86_64LayoutDetector.Detect(k.Dump);

        layout.PagingLevels.ShouldBe(levels);
        layout.SourceOf(LayoutItem.PagingLevels).ShouldBe(LayoutSource.VmcoreInfo);
        layout.PhysBase.ShouldBe(k.PhysBase);
        layout.SourceOf(LayoutItem.PhysBase).ShouldBe(LayoutSource.VmcoreInfo);
        layout.KernelOffset.ShouldBe(k.KernelOffset);
        layout.KernelImageSize.ShouldBe(1UL << 30);
        layout.SmeMask.ShouldBe(0UL);
        layout.SourceOf(LayoutItem.SmeMask).ShouldBe(LayoutSource.VmcoreInfo);
        layout.KernelPageTable.ShouldBe(k.Tables.Root);
        layout.SourceOf(LayoutItem.KernelPageTable).ShouldBe(LayoutSource.VmcoreInfo);
        layout.KernelPageTableVirtual.ShouldBe(k.InitTopPgt);
        layout.KernelImageStart.ShouldBe(k.Text);
        ShouldHaveTheRegionsOf(layout, k, LayoutSource.PageTableScan);
        layout.PerCpuOffsets.ShouldBeEmpty();
        layout.Notes.ShouldBeEmpty();
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void From_QEMU_CR3_alone(int levels)
    {
        var k = new FakeKernel(levels, kernelOffset: 0x600000, physBase: 0x1a00000);
        k.Dump.CpuList.Add(FakeKernel.QemuCpu(0, k.Tables.Root | 0x7, levels == 5 ? La57 | 0x3406f0 : 0x3406f0));

        var layout = X86_64LayoutDetector.Detect(k.Dump);

        layout.PagingLevels.ShouldBe(levels);
        layout.SourceOf(LayoutItem.PagingLevels).ShouldBe(LayoutSource.QemuCpuState);
        layout.KernelPageTable.ShouldBe(k.Tables.Root);
        layout.SourceOf(LayoutItem.KernelPageTable).ShouldBe(LayoutSource.QemuCpuState);
        layout.KernelPageTableVirtual.ShouldBe(k.PageOffsetBase + k.Tables.Root);
        layout.PhysBase.ShouldBe(k.PhysBase);
        layout.SourceOf(LayoutItem.PhysBase).ShouldBe(LayoutSource.PageTableScan);
        layout.KernelOffset.ShouldBeNull();
        layout.KernelImageStart.ShouldBe(k.Text);
        ShouldHaveTheRegionsOf(layout, k, LayoutSource.PageTableScan);
        layout.Notes.ShouldContain(n => n.Contains("CR3 of CPU 0"));
    }

    [Fact]
    public void From_QEMU_CR3_of_a_CPU_in_user_mode_with_PTI()
    {
        var k = new FakeKernel();
        ulong userCopy = k.Tables.Root + 0x1000; // PTI: the user PGD is the 4 KiB after the kernel's
        ulong topEntry = k.Tables.ReadUInt64(k.Tables.Root + (511 * 8));
        k.Dump.WriteUInt64(userCopy + (511 * 8), topEntry); // only the kernel text is mapped in the user copy
        k.Dump.CpuList.Add(FakeKernel.QemuCpu(0, userCopy | 0x801, 0x3406f0));
        k.Dump.CpuList.Add(FakeKernel.QemuCpu(1, 0, 0x3406f0));

        var layout = X86_64LayoutDetector.Detect(k.Dump);

        layout.KernelPageTable.ShouldBe(k.Tables.Root);
        ShouldHaveTheRegionsOf(layout, k, LayoutSource.PageTableScan);
    }

    [Fact]
    public void From_QEMU_CR3_pointing_at_a_task_s_PGD_in_the_direct_map()
    {
        var k = new FakeKernel();
        const ulong TaskPgd = 0x9000000;
        var top = new ulong[512];
        new PageTableWalker(k.Dump, 4).ReadTable(k.Tables.Root, top);
        for (int i = 256; i < 512; i++)
        {
            k.Dump.WriteUInt64(TaskPgd + ((ulong)i * 8), top[i]);
        }

        k.Dump.CpuList.Add(FakeKernel.QemuCpu(0, TaskPgd, 0));

        var layout = X86_64LayoutDetector.Detect(k.Dump);

        layout.KernelPageTable.ShouldBe(TaskPgd);
        layout.KernelPageTableVirtual.ShouldBe(k.PageOffsetBase + TaskPgd);
        ShouldHaveTheRegionsOf(layout, k, LayoutSource.PageTableScan);
    }

    [Fact]
    public void A_CR3_page_table_gives_way_to_init_top_pgt_once_phys_base_is_known()
    {
        var k = new FakeKernel();
        const ulong TaskPgd = 0x9000000;
        var top = new ulong[512];
        new PageTableWalker(k.Dump, 4).ReadTable(k.Tables.Root, top);
        for (int i = 256; i < 512; i++)
        {
            k.Dump.WriteUInt64(TaskPgd + ((ulong)i * 8), top[i]);
        }

        k.Dump.CpuList.Add(FakeKernel.QemuCpu(0, TaskPgd, 0));
        var symbols = k.Symbols;

        var layout = X86_64LayoutDetector.Detect(k.Dump, name => symbols.TryGetValue(name, out var a) ? a : null);

        layout.KernelPageTable.ShouldBe(k.Tables.Root);
        layout.KernelPageTableVirtual.ShouldBe(k.InitTopPgt);
        layout.SourceOf(LayoutItem.KernelPageTable).ShouldBe(LayoutSource.SymbolTable);
        layout.SourceOf(LayoutItem.PhysBase).ShouldBe(LayoutSource.PageTableScan);
        layout.SourceOf(LayoutItem.KernelImageStart).ShouldBe(LayoutSource.PageTableScan);
    }

    [Fact]
    public void A_symbol_page_table_that_maps_no_kernel_image_gives_way_to_CR3()
    {
        var k = new FakeKernel();
        k.Dump.Info = VmcoreInfo.Parse(k.VmcoreInfo("SYMBOL(init_top_pgt)", "SYMBOL(swapper_pg_dir)").Text
            + $"SYMBOL(init_top_pgt)={k.PerCpuOffsetArray + 0x1000:x}\n");
        k.Dump.CpuList.Add(FakeKernel.QemuCpu(0, k.Tables.Root, 0));

        var layout = X86_64LayoutDetector.Detect(k.Dump);

        layout.KernelPageTable.ShouldBe(k.Tables.Root);
        layout.SourceOf(LayoutItem.KernelPageTable).ShouldBe(LayoutSource.QemuCpuState);
        layout.Notes.ShouldContain(n => n.Contains("maps nothing at __START_KERNEL_map; using CR3"));
        ShouldHaveTheRegionsOf(layout, k, LayoutSource.PageTableScan);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void With_symbols_reads_the_kernel_variables(int levels)
    {
        var k = new FakeKernel(levels);
        k.Dump.Info = k.VmcoreInfo();
        var symbols = k.Symbols;

        var layout = X86_64LayoutDetector.Detect(k.Dump, name => symbols.TryGetValue(name, out var a) ? a : null);

        ShouldHaveTheRegionsOf(layout, k, LayoutSource.KernelVariable);
        layout.SourceOf(LayoutItem.KernelPageTable).ShouldBe(LayoutSource.SymbolTable);
        layout.PerCpuOffsets.ShouldBe([k.PageOffsetBase + 0x7a00000, k.PageOffsetBase + 0x7a40000]);
        layout.SourceOf(LayoutItem.PerCpuOffsets).ShouldBe(LayoutSource.KernelVariable);
        layout.PerCpuAddress(0x2b3c0, 1).ShouldBe(k.PageOffsetBase + 0x7a40000 + 0x2b3c0);
    }

    [Fact]
    public void With_symbols_and_QEMU_CR3_but_no_VMCOREINFO()
    {
        var k = new FakeKernel(physBase: -0x20000000L + 0x600000);
        k.Dump.CpuList.Add(FakeKernel.QemuCpu(0, k.Tables.Root, 0x3406f0));
        var symbols = k.Symbols;
        symbols.Remove("init_top_pgt");

        var layout = X86_64LayoutDetector.Detect(k.Dump, name => symbols.TryGetValue(name, out var a) ? a : null);

        layout.PhysBase.ShouldBe(k.PhysBase);
        ShouldHaveTheRegionsOf(layout, k, LayoutSource.KernelVariable);
        layout.SourceOf(LayoutItem.PagingLevels).ShouldBe(LayoutSource.QemuCpuState);
        layout.PerCpuOffsets.Count.ShouldBe(2);
    }

    [Fact]
    public void Paging_levels_from_the_pgtable_l5_enabled_variable()
    {
        var k = new FakeKernel(5);
        k.Dump.Info = k.VmcoreInfo("NUMBER(pgtable_l5_enabled)");
        var symbols = k.Symbols;

        var layout = X86_64LayoutDetector.Detect(k.Dump, name => symbols.TryGetValue(name, out var a) ? a : null);

        layout.PagingLevels.ShouldBe(5);
        layout.SourceOf(LayoutItem.PagingLevels).ShouldBe(LayoutSource.KernelVariable);
        ShouldHaveTheRegionsOf(layout, k, LayoutSource.KernelVariable);
    }

    [Fact]
    public void A_bad_variable_value_is_ignored_and_the_scan_used()
    {
        var k = new FakeKernel();
        k.Dump.Info = k.VmcoreInfo();
        k.WriteVariable(k.PageOffsetBaseVariable, k.PageOffsetBase + 0x1000);
        var symbols = k.Symbols;
        symbols["vmemmap_base"] = 0xffffffffbfff0000; // in the image but not in the dump's RAM
        k.Dump.Remove(k.ToPhysical(0xffffffffbfff0000));

        var layout = X86_64LayoutDetector.Detect(k.Dump, name => symbols.TryGetValue(name, out var a) ? a : null);

        layout.PageOffsetBase.ShouldBe(k.PageOffsetBase);
        layout.SourceOf(LayoutItem.PageOffsetBase).ShouldBe(LayoutSource.PageTableScan);
        layout.SourceOf(LayoutItem.VmallocBase).ShouldBe(LayoutSource.KernelVariable);
        layout.SourceOf(LayoutItem.VmemmapBase).ShouldBe(LayoutSource.PageTableScan);
        layout.VmemmapBase.ShouldBe(k.VmemmapBase);
        layout.Notes.ShouldContain(n => n.Contains("page_offset_base") && n.Contains("ignored"));
        layout.Notes.ShouldContain(n => n.StartsWith("cannot read vmemmap_base", StringComparison.Ordinal));
    }

    [Fact]
    public void From_the_dump_s_PT_LOAD_mappings_without_page_tables()
    {
        var k = new FakeKernel();
        k.Dump.Mappings.Add(new VirtualMapping(k.Text, k.ToPhysical(k.Text), 0x2000000));
        k.Dump.Mappings.Add(new VirtualMapping(k.PageOffsetBase + 0x1000, 0x1000, 0x9e000));
        k.Dump.Mappings.Add(new VirtualMapping(k.PageOffsetBase + 0x100000, 0x100000, RamEndMinus1M));

        var layout = X86_64LayoutDetector.Detect(k.Dump);

        layout.PhysBase.ShouldBe(k.PhysBase);
        layout.SourceOf(LayoutItem.PhysBase).ShouldBe(LayoutSource.DumpSegments);
        layout.PageOffsetBase.ShouldBe(k.PageOffsetBase);
        layout.SourceOf(LayoutItem.PageOffsetBase).ShouldBe(LayoutSource.DumpSegments);
        layout.KernelPageTable.ShouldBeNull();
        layout.KernelImageStart.ShouldBe(k.Text);
        layout.SourceOf(LayoutItem.KernelImageStart).ShouldBe(LayoutSource.DumpSegments);
        layout.SourceOf(LayoutItem.VmallocBase).ShouldBe(LayoutSource.Default);
        layout.DirectMapEnd.ShouldBeGreaterThan(k.PageOffsetBase);
        var memory = new KernelVirtualMemory(k.Dump, layout);
        memory.ReadUInt64(k.VmallocBaseVariable, "vmalloc_base").ShouldBe(k.VmallocBase);
        memory.ReadUInt64(k.PageOffsetBase + k.ToPhysical(k.VmemmapBaseVariable), "vmemmap_base").ShouldBe(k.VmemmapBase);
    }

    [Fact]
    public void Five_level_paging_from_PT_LOADs_below_4_level_kernel_space()
    {
        var k = new FakeKernel(5);
        k.Dump.Mappings.Add(new VirtualMapping(k.Text, k.ToPhysical(k.Text), 0x2000000));
        k.Dump.Mappings.Add(new VirtualMapping(k.PageOffsetBase + 0x1000, 0x1000, 0x9e000));

        var layout = X86_64LayoutDetector.Detect(k.Dump);

        layout.PagingLevels.ShouldBe(5);
        layout.SourceOf(LayoutItem.PagingLevels).ShouldBe(LayoutSource.DumpSegments);
        layout.PageOffsetBase.ShouldBe(k.PageOffsetBase);
    }

    private const ulong RamEndMinus1M = FakeKernel.RamEnd - 0x100000;

    [Fact]
    public void With_nothing_the_defaults_and_notes_say_so()
    {
        var dump = new SyntheticDump();

        var layout = X86_64LayoutDetector.Detect(dump);

        layout.ShouldBe(X86_64KernelLayout.Defaults(4) with { Sources = layout.Sources, Notes = layout.Notes });
        layout.Sources.ShouldBeEmpty();
        layout.KernelPageTable.ShouldBeNull();
        layout.Notes.Count.ShouldBe(3);
    }

    [Fact]
    public void A_missing_top_level_table_leaves_the_defaults()
    {
        var k = new FakeKernel();
        k.Dump.Info = k.VmcoreInfo();
        k.Dump.Exclude(k.Tables.Root);

        var layout = X86_64LayoutDetector.Detect(k.Dump);

        layout.KernelPageTable.ShouldBe(k.Tables.Root);
        layout.SourceOf(LayoutItem.PageOffsetBase).ShouldBe(LayoutSource.Default);
        layout.Notes.ShouldContain("the kernel page table maps nothing at __START_KERNEL_map");
        var memory = new KernelVirtualMemory(k.Dump, layout);
        memory.Walk(k.VmallocBase + 0x1000).Status.ShouldBe(ReadStatus.Excluded);
        memory.Read(X86_64KernelLayout.CpuEntryAreaBase, new byte[8], out _).ShouldBe(ReadStatus.Excluded);
    }

    [Fact]
    public void Bad_VMCOREINFO_values_are_noted()
    {
        var k = new FakeKernel();
        k.Dump.Info = VmcoreInfo.Parse(k.VmcoreInfo("NUMBER(KERNEL_IMAGE_SIZE)", "SYMBOL(init_top_pgt)", "SYMBOL(swapper_pg_dir)").Text
            + "NUMBER(KERNEL_IMAGE_SIZE)=-5\nSYMBOL(init_top_pgt)=ffff888000001000\n");
        k.Dump.CpuList.Add(FakeKernel.QemuCpu(0, k.Tables.Root, 0));

        var layout = X86_64LayoutDetector.Detect(k.Dump);

        layout.KernelImageSize.ShouldBe(1UL << 30);
        layout.Notes.ShouldContain(n => n.Contains("KERNEL_IMAGE_SIZE"));
        layout.Notes.ShouldContain(n => n.Contains("outside the kernel image"));
        layout.SourceOf(LayoutItem.KernelPageTable).ShouldBe(LayoutSource.QemuCpuState);
        layout.KernelPageTable.ShouldBe(k.Tables.Root);
    }

    [Fact]
    public void A_phys_base_that_disagrees_with_the_page_tables_is_noted()
    {
        var k = new FakeKernel();
        k.Dump.Info = VmcoreInfo.Parse(k.VmcoreInfo("NUMBER(phys_base)", "SYMBOL(init_top_pgt)", "SYMBOL(swapper_pg_dir)").Text
            + "NUMBER(phys_base)=-669990912\n");
        k.Dump.CpuList.Add(FakeKernel.QemuCpu(0, k.Tables.Root, 0));

        var layout = X86_64LayoutDetector.Detect(k.Dump);

        layout.PhysBase.ShouldBe(unchecked((ulong)-669990912L));
        layout.Notes.ShouldContain(n => n.Contains("phys_base") && n.Contains($"{k.PhysBase:x}") && n.EndsWith("(VMCOREINFO)", StringComparison.Ordinal));
    }

    [Fact]
    public void Detected_layouts_read_what_the_kernel_wrote()
    {
        var k = new FakeKernel();
        k.Dump.Info = k.VmcoreInfo();
        k.Dump.WriteUInt64(0x7003018, 0xfeedface);
        var memory = new KernelVirtualMemory(k.Dump, X86_64LayoutDetector.Detect(k.Dump));

        memory.ReadUInt64(k.VmallocBaseVariable, "vmalloc_base").ShouldBe(k.VmallocBase);
        memory.ReadUInt64(k.VmallocBase + 0x2018, "vmalloc").ShouldBe(0xfeedfaceUL);
        memory.Walk(k.PageOffsetBase + 0x5000).PhysicalAddress.ShouldBe(0x5000UL);
        memory.Layout.Classify(k.VmemmapBase + 64).ShouldBe(KernelAddressKind.Vmemmap);
    }

    [Fact]
    public void Rejects_a_missing_dump() => Should.Throw<ArgumentNullException>(() => X86_64LayoutDetector.Detect(null!));
}
