using Kdx.Commands.Infrastructure;
using Kdx.Core.Memory;
using Kdx.Core.Symbols;
using Kdx.Tests.Dumps.Kdump;

namespace Kdx.Tests.Commands;

public sealed class MemoryFaultTextTests
{
    [Theory]
    [InlineData(ReadStatus.Excluded, MemoryType.KernelVirtual, null, "page excluded: kernel virtual address: ffff888001000000  type: \"64-bit KVADDR\"")]
    [InlineData(ReadStatus.Excluded, MemoryType.Physical, "pfn 1000", "page excluded: physical address: ffff888001000000  type: \"64-bit KVADDR\" (pfn 1000)")]
    [InlineData(ReadStatus.NotMapped, MemoryType.KernelVirtual, "PMD entry at physical address 1000 is not present (0)",
        "invalid kernel virtual address: ffff888001000000  type: \"64-bit KVADDR\" (PMD entry at physical address 1000 is not present (0))")]
    [InlineData(ReadStatus.NotMapped, MemoryType.UserVirtual, null, "invalid user virtual address: ffff888001000000  type: \"64-bit KVADDR\"")]
    [InlineData(ReadStatus.NotInDump, MemoryType.KernelVirtual, null, "read error: kernel virtual address: ffff888001000000  type: \"64-bit KVADDR\" (not in dump)")]
    [InlineData(ReadStatus.Truncated, MemoryType.DumpFile, "offset 12", "read error: dumpfile address: ffff888001000000  type: \"64-bit KVADDR\" (file truncated: offset 12)")]
    [InlineData(ReadStatus.DecompressionFailed, MemoryType.Physical, null, "read error: physical address: ffff888001000000  type: \"64-bit KVADDR\" (decompression failed)")]
    public void Messages_use_crash_words_then_kdx_detail(ReadStatus status, MemoryType type, string? detail, string expected) =>
        MemoryFaultText.Format(status, type, 0xffff888001000000, "64-bit KVADDR", detail, dump: null).ShouldBe(expected);

    [Fact]
    public void A_page_a_compressed_kdump_lacks_is_a_seek_error_as_in_crash()
    {
        using var dump = KdumpReaderTests.Open(new KdumpBuilder().WithPages(1).Build().Bytes);
        MemoryFaultText.Format(ReadStatus.NotInDump, MemoryType.Physical, 0x5000, "64-bit PHYSADDR", null, dump)
            .ShouldBe("seek error: physical address: 5000  type: \"64-bit PHYSADDR\" (not in dump)");
        MemoryFaultText.Format(ReadStatus.NotInDump, MemoryType.DumpFile, 0x5000, "64-bit FILEADDR", null, dump)
            .ShouldStartWith("read error: dumpfile address: 5000");
    }

    [Fact]
    public void Memory_type_names()
    {
        MemoryType.KernelVirtual.TypeName().ShouldBe("KVADDR");
        MemoryType.UserVirtual.TypeName().ShouldBe("UVADDR");
        MemoryType.Physical.TypeName().ShouldBe("PHYSADDR");
        MemoryType.DumpFile.TypeName().ShouldBe("FILEADDR");
    }
}

public sealed class KernelSymbolTextTests
{
    private static readonly SymbolTable Image = new(
        ["fixed_percpu_data", "_text", "schedule", "do_exit", "_end"],
        [0x0, 0xffffffff81000000, 0xffffffff81a00000, 0xffffffff81a00800, 0xffffffff83000000],
        [0, 0, 0x800, 0x100, 0],
        ['D', 'T', 'T', 'T', 'B'],
        new KernelImageRange(0xffffffff81000000, 0xffffffff83000000));

    [Theory]
    [InlineData(0xffffffff81a00000, "schedule")]
    [InlineData(0xffffffff81a000db, "schedule+219")]
    [InlineData(0xffffffff81a00810, "do_exit+16")]
    [InlineData(0xffffffff83000000, "_end")]
    [InlineData(0xffffffff83000001, null)]
    [InlineData(0xffffffff80ffffff, null)]
    [InlineData(0x10UL, null)]
    [InlineData(0xffff888000000000, null)]
    public void Values_in_the_kernel_symbol_range_are_named(ulong value, string? expected) =>
        new KernelSymbolText(Image, 10).Describe(value).ShouldBe(expected);

    [Fact]
    public void Offsets_follow_the_radix() =>
        new KernelSymbolText(Image, 16).Describe(0xffffffff81a000db).ShouldBe("schedule+0xdb");

    [Fact]
    public void Without_an_image_range_the_range_starts_at_the_lowest_kernel_image_symbol()
    {
        var table = new SymbolTable(["mem_section", "_stext", "init_top_pgt"], [0xffff888000001000, 0xffffffff81000000, 0xffffffff82a0a000],
            [0, 0, 0], ['?', '?', '?']);
        var text = new KernelSymbolText(table, 10);
        text.Describe(0xffff888000001010).ShouldBeNull();
        text.Describe(0xffffffff81000010).ShouldBe("_stext+16");
        new KernelSymbolText(new SymbolTable([], [], [], []), 10).Describe(0xffffffff81000000).ShouldBeNull();
    }
}
