using Kdx.Core;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Memory;

namespace Kdx.Tests.Arch.X86_64;

public class KernelVirtualMemoryTests
{
    private const ulong Vmalloc = 0xffffc90000000000;

    private static (SyntheticDump Dump, PageTableBuilder Tables, KernelVirtualMemory Memory) Setup(
        X86_64KernelLayout? layout = null, bool withRoot = true)
    {
        var dump = new SyntheticDump();
        layout ??= X86_64KernelLayout.Defaults(4);
        var pt = new PageTableBuilder(dump, layout.PagingLevels);
        if (withRoot)
        {
            layout = layout with { KernelPageTable = pt.Root };
        }

        return (dump, pt, new KernelVirtualMemory(dump, layout));
    }

    private static byte[] Pattern(int length, byte seed) => [.. Enumerable.Range(0, length).Select(i => (byte)(seed + (i * 7)))];

    [Fact]
    public void Reads_across_pages_that_are_scattered_in_physical_memory()
    {
        var (dump, pt, memory) = Setup();
        pt.Map(Vmalloc, 0x5000000);
        pt.Map(Vmalloc + 0x1000, 0x3000000);
        pt.Map(Vmalloc + 0x2000, 0x7000000);
        var data = Pattern(0x3000, 1);
        dump.Write(0x5000000, data.AsSpan(0, 0x1000));
        dump.Write(0x3000000, data.AsSpan(0x1000, 0x1000));
        dump.Write(0x7000000, data.AsSpan(0x2000, 0x1000));

        var buffer = new byte[0x2800];
        memory.Read(Vmalloc + 0x400, buffer, out int n).ShouldBe(ReadStatus.Ok);

        n.ShouldBe(buffer.Length);
        buffer.ShouldBe(data.AsSpan(0x400, 0x2800).ToArray());
        memory.Space.ShouldBe(AddressSpace.KernelVirtual);
    }

    [Fact]
    public void Reads_across_large_pages()
    {
        var (dump, pt, memory) = Setup();
        pt.Map(Vmalloc, 0x4000000, 1UL << 21);
        pt.Map(Vmalloc + (1UL << 21), 0x2000000, 1UL << 21);
        dump.Write(0x4000000 + (1UL << 21) - 4, [1, 2, 3, 4]);
        dump.Write(0x2000000, [5, 6, 7, 8]);

        var buffer = new byte[8];
        memory.Read(Vmalloc + (1UL << 21) - 4, buffer, out _).ShouldBe(ReadStatus.Ok);

        buffer.ShouldBe(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
    }

    [Fact]
    public void The_direct_map_and_kernel_image_need_no_page_table()
    {
        var layout = X86_64KernelLayout.Defaults(4) with { PhysBase = unchecked((ulong)-0x1000000L) };
        var (dump, _, memory) = Setup(layout, withRoot: false);
        dump.WriteUInt64(0x123458, 0x1122334455667788);
        dump.WriteUInt64(0x2000000, 0x99);

        memory.ReadUInt64(0xffff888000123458, "direct").ShouldBe(0x1122334455667788UL);
        memory.ReadUInt64(0xffffffff83000000, "image").ShouldBe(0x99UL); // 0x3000000 - 0x1000000
        memory.Translate(0xffff888000123458, out ulong pa).ShouldBe(ReadStatus.Ok);
        pa.ShouldBe(0x123458UL);
        memory.PhysicalToVirtual(0x123458).ShouldBe(0xffff888000123458UL);

        memory.Read(Vmalloc, new byte[8], out _).ShouldBe(ReadStatus.NotMapped);
        memory.ExplainFailure(Vmalloc, ReadStatus.NotMapped)!.ShouldContain("kernel page table is unknown");
        Should.Throw<KdxException>(() => memory.Walk(Vmalloc));
    }

    [Fact]
    public void Arithmetic_translation_does_not_walk_even_where_the_tables_disagree()
    {
        // crash's kvtop translates the direct map by subtraction; vtop's walk may show something else.
        var (dump, pt, memory) = Setup();
        pt.Map(0xffff888000001000, 0x9000);
        int before = dump.ReadCount;

        memory.Translate(0xffff888000001000, out ulong pa).ShouldBe(ReadStatus.Ok);

        pa.ShouldBe(0x1000UL);
        dump.ReadCount.ShouldBe(before);
        memory.Walk(0xffff888000001000).PhysicalAddress.ShouldBe(0x9000UL);
    }

    [Fact]
    public void A_read_stops_at_the_first_unmapped_page_and_says_where_the_walk_stopped()
    {
        var (dump, pt, memory) = Setup();
        pt.Map(Vmalloc, 0x5000000);
        pt.Map(Vmalloc + 0x2000, 0x5002000); // same PMD, the PTE between is empty

        var buffer = new byte[0x1800];
        memory.Read(Vmalloc + 0x800, buffer, out int n).ShouldBe(ReadStatus.NotMapped);

        n.ShouldBe(0x800);
        string why = memory.ExplainFailure(Vmalloc + 0x1000, ReadStatus.NotMapped)!;
        why.ShouldContain($"PTE entry at physical address {pt.EntryAddressAt(Vmalloc + 0x1000, 3):x} is not present");
        var fault = Should.Throw<MemoryFaultException>(() => memory.ReadExactly(Vmalloc + 0x800, buffer, "vmap_area"));
        fault.Address.ShouldBe(Vmalloc + 0x1000);
        fault.Reason.ShouldBe(ReadStatus.NotMapped);
        fault.Message.ShouldStartWith($"not mapped: kernel virtual address: {Vmalloc + 0x1000:x}  type: \"vmap_area\"");
        fault.Message.ShouldContain("PTE entry");
    }

    [Fact]
    public void An_excluded_data_page_fails_with_its_physical_address()
    {
        var (dump, pt, memory) = Setup();
        pt.Map(Vmalloc, 0x5000000);
        pt.Map(Vmalloc + 0x1000, 0x6000000);
        dump.Exclude(0x6000000);

        var buffer = new byte[0x1000];
        memory.Read(Vmalloc + 0x800, buffer, out int n).ShouldBe(ReadStatus.Excluded);

        n.ShouldBe(0x800);
        var fault = Should.Throw<MemoryFaultException>(() => memory.ReadUInt64(Vmalloc + 0x1008, "xa_node"));
        fault.Reason.ShouldBe(ReadStatus.Excluded);
        fault.Message.ShouldBe($"page excluded: kernel virtual address: {Vmalloc + 0x1008:x}  type: \"xa_node\" (physical address 6000008: synthetic pfn 6000)");
    }

    [Fact]
    public void An_excluded_page_table_page_fails_with_the_table_s_address()
    {
        var (dump, pt, memory) = Setup();
        pt.Map(Vmalloc, 0x5000000);
        ulong pmdEntry = pt.EntryAddressAt(Vmalloc, 2);
        dump.Exclude(pmdEntry);

        memory.Read(Vmalloc, new byte[8], out _).ShouldBe(ReadStatus.Excluded);

        memory.ExplainFailure(Vmalloc, ReadStatus.Excluded)!
            .ShouldBe($"PMD table entry at physical address {pmdEntry:x} cannot be read: page excluded");
    }

    [Fact]
    public void A_direct_map_page_outside_the_dump_is_not_in_dump()
    {
        var (_, _, memory) = Setup();

        memory.Read(0xffff888000000000 + (512UL << 20), new byte[8], out _).ShouldBe(ReadStatus.NotInDump);
        memory.ExplainFailure(0xffff888000000000 + (512UL << 20), ReadStatus.NotInDump)!.ShouldStartWith("physical address 20000000");
    }

    [Fact]
    public void A_read_off_the_top_of_the_address_space_stops()
    {
        var layout = X86_64KernelLayout.Defaults(4) with { KernelImageSize = (1UL << 31) - 0x1000 };
        var (_, pt, memory) = Setup(layout);
        pt.Map(0xfffffffffffff000, 0x5000);

        memory.Read(0xfffffffffffffffc, new byte[8], out int n).ShouldBe(ReadStatus.NotMapped);
        n.ShouldBe(4);
    }

    [Fact]
    public void Translations_are_cached_per_page()
    {
        var (dump, pt, memory) = Setup();
        pt.Map(Vmalloc, 0x5000000, 1UL << 21);
        memory.Translate(Vmalloc + 0x10, out _).ShouldBe(ReadStatus.Ok);
        int before = dump.ReadCount;

        memory.Translate(Vmalloc + 0x20, out ulong pa).ShouldBe(ReadStatus.Ok);
        memory.Read(Vmalloc + 0x30, new byte[16], out _).ShouldBe(ReadStatus.Ok);

        pa.ShouldBe(0x5000020UL);
        (dump.ReadCount - before).ShouldBe(1); // only the data read
    }

    [Fact]
    public void Walks_5_level_tables()
    {
        var (dump, pt, memory) = Setup(X86_64KernelLayout.Defaults(5));
        pt.Map(0xffa0000000003000, 0x4000);
        dump.WriteUInt64(0x4010, 42);

        memory.ReadUInt64(0xffa0000000003010, "x").ShouldBe(42UL);
        memory.Walk(0xffa0000000003010).Steps.Count.ShouldBe(5);
        memory.Walker.Levels.ShouldBe(5);
    }

    [Fact]
    public void User_memory_walks_the_task_s_table_and_hands_kernel_addresses_to_the_kernel()
    {
        var (dump, pt, kernel) = Setup();
        var user = new PageTableBuilder(dump, 4, root: 0x300000, tablePool: 0x400000);
        user.Map(0x00007ffd12345000, 0x8000, flags: PageTableBuilder.Kernel | PageTableEntry.User);
        user.Map(0x00007ffd12346000, 0x9000, flags: PageTableEntry.ProtNone | PageTableEntry.User);
        pt.Map(Vmalloc, 0xa000);
        dump.WriteUInt64(0x8ff8, 7);
        dump.WriteUInt64(0x9000, 8);
        dump.WriteUInt64(0xa000, 9);

        var memory = kernel.ForUser(0x300000 | 0x800); // PCID-like low bits are ignored

        memory.Space.ShouldBe(AddressSpace.UserVirtual);
        memory.PageTable.ShouldBe(0x300000UL);
        var b = new byte[16];
        memory.Read(0x00007ffd12345ff8, b, out _).ShouldBe(ReadStatus.Ok);
        BitConverter.ToUInt64(b, 0).ShouldBe(7UL);
        BitConverter.ToUInt64(b, 8).ShouldBe(8UL);
        memory.ReadUInt64(Vmalloc, "k").ShouldBe(9UL);
        memory.Walk(0x00007ffd12345000).Steps.Count.ShouldBe(4);
        memory.Walk(Vmalloc).Root.ShouldBe(pt.Root);
        memory.Read(0x00007ffd12347000, b, out _).ShouldBe(ReadStatus.NotMapped);
        memory.ExplainFailure(0x00007ffd12347000, ReadStatus.NotMapped)!.ShouldContain("PTE entry");
        kernel.Read(0x00007ffd12345ff8, b, out _).ShouldBe(ReadStatus.NotMapped);
    }

    [Fact]
    public void Rejects_a_missing_layout() =>
        Should.Throw<ArgumentNullException>(() => new KernelVirtualMemory(new SyntheticDump(), null!));
}
