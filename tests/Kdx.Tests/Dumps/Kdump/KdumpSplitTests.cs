using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.IO;
using Kdx.Core.Memory;

namespace Kdx.Tests.Dumps.Kdump;

public class KdumpSplitTests
{
    private static readonly ulong[] Present = [0, 1, 7, 20, 21, 33, 50, 63];

    // One file per range, as makedumpfile --split writes them: same headers and bitmaps, own descriptors.
    private static List<IByteSource> SplitSet(params (ulong Start, ulong End)[] ranges)
    {
        var sources = new List<IByteSource>();
        for (int i = 0; i < ranges.Length; i++)
        {
            var b = new KdumpBuilder { Split = ranges[i] }.WithPages(Present);
            b.Excluded.Add(2);
            sources.Add(new MemoryByteSource($"vmcore.{i}", b.Build().Bytes));
        }

        return sources;
    }

    [Fact]
    public void A_split_set_reads_as_one_dump_in_any_order()
    {
        var sources = SplitSet((0, 16), (16, 40), (40, 64));
        sources.Reverse();
        using var dump = (KdumpCompressedDump)DumpFiles.Open(sources, DumpOpenOptions.Default);
        dump.Files.ShouldBe(["vmcore.0", "vmcore.1", "vmcore.2"]); // in pfn order
        dump.SplitParts.Select(p => (p.StartPfn, p.EndPfn)).ShouldBe([(0UL, 16UL), (16UL, 40UL), (40UL, 64UL)]);
        dump.FormatName.ShouldBe("compressed kdump (zlib), split into 3 files");
        foreach (var pfn in Present)
        {
            KdumpReaderTests.ReadPage(dump, pfn).ShouldBe(KdumpBuilder.Pattern(pfn));
            dump.GetPageState(pfn).ShouldBe(PageState.Present);
        }

        dump.GetPageState(2).ShouldBe(PageState.Excluded);
        dump.PhysicalRanges.ShouldBe([new PhysicalRange(0, 3 * 4096), new PhysicalRange(7 * 4096, 8 * 4096), new PhysicalRange(20 * 4096, 22 * 4096), new PhysicalRange(33 * 4096, 34 * 4096), new PhysicalRange(50 * 4096, 51 * 4096), new PhysicalRange(63 * 4096, 64 * 4096)]);

        // A read across the boundary between two files.
        var buf = new byte[8192];
        dump.Read((20 * 4096) + 0, buf, out int n).ShouldBe(ReadStatus.Ok);
        n.ShouldBe(8192);
        var described = KdumpReaderTests.Flatten(dump.Describe()).ToList();
        described.Count(x => x.Path.EndsWith("/filename", StringComparison.Ordinal)).ShouldBe(3);
        described.ShouldContain(("file 1/sub_header_kdump/start_pfn_64", "16 (0x10)"));
    }

    [Fact]
    public void One_file_of_a_split_set_opened_alone_holds_only_its_range()
    {
        var sources = SplitSet((0, 16), (16, 40));
        using var dump = KdumpCompressedDump.Open(sources[1], DumpOpenOptions.Default);
        KdumpReaderTests.ReadPage(dump, 21).ShouldBe(KdumpBuilder.Pattern(21));
        dump.GetPageState(7).ShouldBe(PageState.NotInDump);
        dump.Read(7 * 4096, new byte[8], out _).ShouldBe(ReadStatus.NotInDump);
        dump.ExplainFailure(7 * 4096, ReadStatus.NotInDump)!.ShouldContain("another file of the split dump set (this file holds pfns 0x10-0x28)");
        dump.PhysicalRanges.ShouldBe([new PhysicalRange(20 * 4096, 22 * 4096), new PhysicalRange(33 * 4096, 34 * 4096)]);
    }

    [Fact]
    public void Files_from_different_dumps_do_not_form_a_set()
    {
        var sources = SplitSet((0, 32), (32, 64));
        var other = new KdumpBuilder { Split = (32, 64), Timestamp = 5 }.WithPages(Present);
        sources[1] = new MemoryByteSource("other", other.Build().Bytes);
        Should.Throw<DumpFormatException>(() => DumpFiles.Open(sources, DumpOpenOptions.Default))
            .Message.ShouldBe("other: does not belong to the same dump as vmcore.0: the timestamp differs");

        var release = new KdumpBuilder { Split = (32, 64), Release = "6.12" }.WithPages(Present);
        sources[1] = new MemoryByteSource("other", release.Build().Bytes);
        Should.Throw<DumpFormatException>(() => DumpFiles.Open(sources, DumpOpenOptions.Default)).Message.ShouldContain("the utsname differs");

        var bigger = new KdumpBuilder { Split = (32, 64), MaxMapnr = 128 }.WithPages(Present);
        sources[1] = new MemoryByteSource("other", bigger.Build().Bytes);
        Should.Throw<DumpFormatException>(() => DumpFiles.Open(sources, DumpOpenOptions.Default)).Message.ShouldContain("max_mapnr differs");
    }

    [Fact]
    public void Overlaps_gaps_and_missing_files_are_refused()
    {
        Should.Throw<DumpFormatException>(() => DumpFiles.Open(SplitSet((0, 40), (30, 64)), DumpOpenOptions.Default))
            .Message.ShouldContain("overlap");
        Should.Throw<DumpFormatException>(() => DumpFiles.Open(SplitSet((0, 20), (30, 64)), DumpOpenOptions.Default))
            .Message.ShouldContain("gap: pfns 0x14-0x1e");
        Should.Throw<DumpFormatException>(() => DumpFiles.Open(SplitSet((10, 20), (20, 64)), DumpOpenOptions.Default))
            .Message.ShouldContain("gap: pfns 0x0-0xa (after the start)");
        Should.Throw<DumpFormatException>(() => DumpFiles.Open(SplitSet((0, 20), (20, 50)), DumpOpenOptions.Default))
            .Message.ShouldContain("ends at pfn 0x32 but max_mapnr is 0x40");
    }

    [Fact]
    public void A_whole_dump_or_the_same_file_twice_is_not_a_set()
    {
        var whole = new MemoryByteSource("whole", new KdumpBuilder().WithPages(Present).Build().Bytes);
        var sources = SplitSet((0, 32), (32, 64));
        Should.Throw<DumpFormatException>(() => DumpFiles.Open([sources[0], whole], DumpOpenOptions.Default))
            .Message.ShouldContain("whole: is not a file of a split dump set");
        Should.Throw<DumpFormatException>(() => DumpFiles.Open([sources[0], sources[0]], DumpOpenOptions.Default))
            .Message.ShouldContain("given twice");
        Should.Throw<DumpFormatException>(() => DumpFiles.Open([sources[0], new MemoryByteSource("junk", new byte[5000])], DumpOpenOptions.Default))
            .Message.ShouldContain("junk: only compressed kdump files");
    }
}
