using Kdx.Core.Arch.X86_64;
using Kdx.Core.Memory;

namespace Kdx.Tests.Arch.X86_64;

public class PageTableWalkerTests
{
    private const ulong Va4 = 0xffffc90000123000; // a 4-level vmalloc address
    private const ulong Va5 = 0xffa0123456789000; // a 5-level vmalloc address

    [Theory]
    [InlineData(4, Va4)]
    [InlineData(5, Va5)]
    public void Maps_a_4K_page_and_reports_every_level(int levels, ulong va)
    {
        var dump = new SyntheticDump();
        var pt = new PageTableBuilder(dump, levels);
        pt.Map(va, 0x7654000);
        var walker = new PageTableWalker(dump, levels);

        var walk = walker.Walk(pt.Root, va + 0x123);

        walk.Status.ShouldBe(ReadStatus.Ok);
        walk.PhysicalAddress.ShouldBe(0x7654123UL);
        walk.PageSize.ShouldBe(0x1000UL);
        walk.PageAddress.ShouldBe(0x7654000UL);
        walk.Steps.Count.ShouldBe(levels);
        walk.Steps.Select(s => s.Level).ShouldBe(levels == 5
            ? [PageTableLevel.Pgd, PageTableLevel.P4d, PageTableLevel.Pud, PageTableLevel.Pmd, PageTableLevel.Pte]
            : [PageTableLevel.Pgd, PageTableLevel.Pud, PageTableLevel.Pmd, PageTableLevel.Pte]);
        for (int d = 0; d < levels; d++)
        {
            walk.Steps[d].EntryAddress.ShouldBe(pt.EntryAddressAt(va, d));
            walk.Steps[d].Entry.ShouldBe(pt.ReadUInt64(pt.EntryAddressAt(va, d)));
        }

        walk.Steps[0].EntryAddress.ShouldBe(pt.Root + (((va >> (levels == 5 ? 48 : 39)) & 511) * 8));
        walk.Leaf!.Value.Entry.ShouldBe(0x7654000UL | PageTableBuilder.Kernel);
        walk.Describe().ShouldContain("7654123");
    }

    [Theory]
    [InlineData(4, 1UL << 21, 3)]
    [InlineData(4, 1UL << 30, 2)]
    [InlineData(5, 1UL << 21, 4)]
    [InlineData(5, 1UL << 30, 3)]
    public void Maps_large_pages(int levels, ulong size, int steps)
    {
        var dump = new SyntheticDump();
        var pt = new PageTableBuilder(dump, levels);
        ulong va = levels == 5 ? 0xff11000040000000 : 0xffff888040000000;
        ulong pa = 4 * size;
        pt.Map(va, pa, size);
        var walker = new PageTableWalker(dump, levels);

        var walk = walker.Walk(pt.Root, va + size - 8);

        walk.IsMapped.ShouldBeTrue();
        walk.PhysicalAddress.ShouldBe(pa + size - 8);
        walk.PageSize.ShouldBe(size);
        walk.Steps.Count.ShouldBe(steps);
        walk.Leaf!.Value.Level.ShouldBe(size == 1UL << 30 ? PageTableLevel.Pud : PageTableLevel.Pmd);
        walker.Translate(pt.Root, va + 5, out ulong fast, out ulong fastSize).ShouldBe(ReadStatus.Ok);
        fast.ShouldBe(pa + 5);
        fastSize.ShouldBe(size);
    }

    [Fact]
    public void Masks_NX_software_and_protection_key_bits_from_frames()
    {
        var dump = new SyntheticDump();
        var pt = new PageTableBuilder(dump, 4) { TableEntryExtra = PageTableEntry.NoExecute | (0x7FFUL << 52) };
        pt.Map(Va4, 0x5000, flags: PageTableBuilder.Kernel | PageTableEntry.NoExecute | (0x3FFUL << 52));
        var walker = new PageTableWalker(dump, 4);

        walker.Translate(pt.Root, Va4 + 1, out ulong pa, out _).ShouldBe(ReadStatus.Ok);

        pa.ShouldBe(0x5001UL);
        walker.Walk(pt.Root, Va4).Leaf!.Value.Entry.ShouldBe(0x5000UL | PageTableBuilder.Kernel | PageTableEntry.NoExecute | (0x3FFUL << 52));
    }

    [Fact]
    public void Clears_the_SME_bit_but_keeps_the_raw_entry()
    {
        const ulong Sme = 1UL << 47;
        var dump = new SyntheticDump();
        var pt = new PageTableBuilder(dump, 4) { TableEntryExtra = Sme };
        pt.Map(Va4, 0x6000, flags: PageTableBuilder.Kernel | Sme);
        var walker = new PageTableWalker(dump, 4, Sme);

        var walk = walker.Walk(pt.Root | Sme, Va4);

        walk.PhysicalAddress.ShouldBe(0x6000UL);
        walk.Root.ShouldBe(pt.Root);
        walk.Steps.ShouldAllBe(s => (s.Entry & Sme) == 0 && (s.RawEntry & Sme) != 0);
        walker.FrameMask.ShouldBe(PageTableEntry.FrameMask & ~Sme);
    }

    [Fact]
    public void A_large_page_frame_ignores_its_PAT_bit()
    {
        var dump = new SyntheticDump();
        var pt = new PageTableBuilder(dump, 4);
        pt.Map(0xffff888000200000, 0x400000, 1UL << 21, PageTableBuilder.Kernel | 0x1000); // bit 12 = PAT
        var walker = new PageTableWalker(dump, 4);

        walker.Translate(pt.Root, 0xffff888000200010, out ulong pa, out _).ShouldBe(ReadStatus.Ok);

        pa.ShouldBe(0x400010UL);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Bit_7_is_PAT_in_a_PTE_and_reserved_in_the_top_levels(int levels)
    {
        var dump = new SyntheticDump();
        var pt = new PageTableBuilder(dump, levels);
        ulong va = levels == 5 ? Va5 : Va4;
        pt.Map(va, 0x9000, flags: PageTableBuilder.Kernel | PageTableEntry.PageSizeExtension);
        for (int depth = 0; depth < levels - 3; depth++)
        {
            ulong entry = pt.EntryAddressAt(va, depth);
            dump.WriteUInt64(entry, pt.ReadUInt64(entry) | PageTableEntry.PageSizeExtension);
        }

        var walk = new PageTableWalker(dump, levels).Walk(pt.Root, va);

        walk.IsMapped.ShouldBeTrue();
        walk.Steps.Count.ShouldBe(levels);
        walk.PageSize.ShouldBe(0x1000UL);
        walk.PhysicalAddress.ShouldBe(0x9000UL);
    }

    [Theory]
    [InlineData(4, 0, PageTableLevel.Pgd)]
    [InlineData(4, 1, PageTableLevel.Pud)]
    [InlineData(4, 2, PageTableLevel.Pmd)]
    [InlineData(4, 3, PageTableLevel.Pte)]
    [InlineData(5, 0, PageTableLevel.Pgd)]
    [InlineData(5, 1, PageTableLevel.P4d)]
    [InlineData(5, 2, PageTableLevel.Pud)]
    [InlineData(5, 3, PageTableLevel.Pmd)]
    [InlineData(5, 4, PageTableLevel.Pte)]
    public void A_non_present_entry_stops_the_walk_at_its_level(int levels, int depth, PageTableLevel level)
    {
        var dump = new SyntheticDump();
        var pt = new PageTableBuilder(dump, levels);
        ulong va = levels == 5 ? Va5 : Va4;
        pt.Map(va, 0x8000);
        ulong entryAddress = pt.EntryAddressAt(va, depth);
        dump.WriteUInt64(entryAddress, pt.ReadUInt64(entryAddress) & ~PageTableEntry.Present);
        var walker = new PageTableWalker(dump, levels);

        var walk = walker.Walk(pt.Root, va);

        walk.Status.ShouldBe(ReadStatus.NotMapped);
        walk.StoppedAt.ShouldBe(level);
        walk.IsNonCanonical.ShouldBeFalse();
        walk.Steps.Count.ShouldBe(depth + 1);
        walk.Steps[^1].EntryAddress.ShouldBe(entryAddress);
        walk.Steps[^1].IsPresent.ShouldBeFalse();
        walk.Describe().ShouldContain($"{level.Name()} entry at physical address {entryAddress:x} is not present");
        walker.Translate(pt.Root, va, out _, out _).ShouldBe(ReadStatus.NotMapped);
    }

    [Theory]
    [InlineData(false, ReadStatus.Excluded)]
    [InlineData(true, ReadStatus.NotInDump)]
    public void A_page_table_page_missing_from_the_dump_is_that_failure_not_unmapped(bool remove, ReadStatus expected)
    {
        var dump = new SyntheticDump();
        var pt = new PageTableBuilder(dump, 4);
        pt.Map(Va4, 0x8000);
        ulong pmdEntry = pt.EntryAddressAt(Va4, 2);
        if (remove)
        {
            dump.Remove(pmdEntry);
        }
        else
        {
            dump.Exclude(pmdEntry);
        }

        var walker = new PageTableWalker(dump, 4);
        var walk = walker.Walk(pt.Root, Va4);

        walk.Status.ShouldBe(expected);
        walk.StoppedAt.ShouldBe(PageTableLevel.Pmd);
        walk.FailedReadAddress.ShouldBe(pmdEntry);
        walk.Steps.Count.ShouldBe(2);
        walk.Describe().ShouldContain($"PMD table entry at physical address {pmdEntry:x} cannot be read: {expected.Describe()}");
        walker.Translate(pt.Root, Va4, out _, out _).ShouldBe(expected);
    }

    [Fact]
    public void A_root_outside_the_dump_fails_at_the_top_level()
    {
        var walker = new PageTableWalker(new SyntheticDump(physicalEnd: 1 << 20), 4);

        var walk = walker.Walk(0x40000000, Va4);

        walk.Status.ShouldBe(ReadStatus.NotInDump);
        walk.StoppedAt.ShouldBe(PageTableLevel.Pgd);
        walk.Steps.ShouldBeEmpty();
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void A_self_referencing_table_ends_after_one_read_per_level(int levels)
    {
        var dump = new SyntheticDump();
        const ulong Root = 0x100000;
        for (int i = 0; i < 512; i++)
        {
            dump.WriteUInt64(Root + ((ulong)i * 8), Root | PageTableBuilder.Table); // every entry points back at the table
        }

        var walker = new PageTableWalker(dump, levels);
        int before = dump.ReadCount;

        var walk = walker.Walk(Root, levels == 5 ? Va5 : Va4);

        walk.Steps.Count.ShouldBe(levels);
        (dump.ReadCount - before).ShouldBe(levels);
        walk.IsMapped.ShouldBeTrue(); // the recursive slot maps the table itself
        walk.PageAddress.ShouldBe(Root);
    }

    [Theory]
    [InlineData(4, 0x0000800000000000UL)]
    [InlineData(4, 0xff11000000000000UL)]
    [InlineData(5, 0x0100000000000000UL)]
    [InlineData(5, 0xfe00000000000000UL)]
    public void A_non_canonical_address_is_not_mapped_without_reading(int levels, ulong va)
    {
        var dump = new SyntheticDump();
        var walker = new PageTableWalker(dump, levels);
        int before = dump.ReadCount;

        var walk = walker.Walk(0x100000, va);

        walk.Status.ShouldBe(ReadStatus.NotMapped);
        walk.IsNonCanonical.ShouldBeTrue();
        walk.StoppedAt.ShouldBeNull();
        walk.Describe().ShouldContain("not a canonical address");
        dump.ReadCount.ShouldBe(before);
        walker.IsCanonical(va).ShouldBeFalse();
    }

    [Theory]
    [InlineData(4, 0x00007fffffffffffUL, true)]
    [InlineData(4, 0xffff800000000000UL, true)]
    [InlineData(5, 0x00ffffffffffffffUL, true)]
    [InlineData(5, 0xff00000000000000UL, true)]
    [InlineData(5, 0xffff800000000000UL, true)]
    public void Canonical_addresses(int levels, ulong va, bool canonical) =>
        new PageTableWalker(new SyntheticDump(), levels).IsCanonical(va).ShouldBe(canonical);

    [Fact]
    public void PROT_NONE_counts_as_present_only_when_asked()
    {
        var dump = new SyntheticDump();
        var pt = new PageTableBuilder(dump, 4);
        const ulong User = 0x00007f0000001000;
        pt.Map(User, 0xa000, flags: PageTableEntry.ProtNone | PageTableEntry.User);
        var walker = new PageTableWalker(dump, 4);

        walker.Translate(pt.Root, User, out _, out _).ShouldBe(ReadStatus.NotMapped);
        walker.Translate(pt.Root, User + 4, out ulong pa, out _, protNoneIsPresent: true).ShouldBe(ReadStatus.Ok);
        pa.ShouldBe(0xa004UL);
    }

    [Fact]
    public void Reads_whole_tables_without_the_SME_bit()
    {
        const ulong Sme = 1UL << 51;
        var dump = new SyntheticDump();
        dump.WriteUInt64(0x100000 + (5 * 8), 0x123000 | Sme | 1);
        var walker = new PageTableWalker(dump, 4, Sme);
        var table = new ulong[512];

        walker.ReadTable(0x100000 | Sme | 0x67, table).ShouldBe(ReadStatus.Ok);

        table[5].ShouldBe(0x123001UL);
        Should.Throw<ArgumentException>(() => walker.ReadTable(0x100000, new ulong[10]));
        dump.Exclude(0x100000);
        walker.ReadTable(0x100000, table).ShouldBe(ReadStatus.Excluded);
    }

    [Fact]
    public void Rejects_bad_arguments()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new PageTableWalker(new SyntheticDump(), 3));
        Should.Throw<ArgumentNullException>(() => new PageTableWalker(null!, 4));
        var kernel = new KernelVirtualMemory(new SyntheticDump(), new X86_64KernelLayout());
        Should.Throw<ArgumentException>(() => new PageTableWalker(kernel, 4));
    }

    [Theory]
    [InlineData(0UL, "no mapping")]
    [InlineData(0x800000000d4001e3UL, "PRESENT|RW|ACCESSED|DIRTY|PSE|GLOBAL|NX")]
    [InlineData(0x8000000002c55163UL, "PRESENT|RW|ACCESSED|DIRTY|GLOBAL|NX")]
    [InlineData(0x0000000012345067UL, "PRESENT|RW|USER|ACCESSED|DIRTY")]
    [InlineData(0x00000000123450d8UL, "PWT|PCD|DIRTY")]
    [InlineData(0x0000000012345180UL, "PROTNONE|GLOBAL")]
    public void Flag_names_are_crash_s(ulong entry, string names) => PageTableEntry.FlagNames(entry).ShouldBe(names);

    [Fact]
    public void Level_names_are_crash_s()
    {
        Enum.GetValues<PageTableLevel>().Select(l => l.Name()).ShouldBe(["PGD", "P4D", "PUD", "PMD", "PTE"]);
    }
}
