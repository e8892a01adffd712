using System.Buffers.Binary;
using Kdx.Core.Compression;
using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.IO;
using Kdx.Core.Memory;

namespace Kdx.Tests.Dumps.Kdump;

public class KdumpReaderTests
{
    /// <summary>
    /// Whether the page codec has an LZO decoder. It comes from the compression branch; the stand-in
    /// codec this branch builds with has none, and then LZO pages must fail as "decompression failed".
    /// </summary>
    internal static bool HaveLzo
    {
        get
        {
            using var codec = new PageCodec();
            return codec.TryDecompress(PageCompression.Lzo, KdumpBuilder.LzoRepeat(new byte[64]), new byte[64], out int w) && w == 64;
        }
    }

    internal static KdumpCompressedDump Open(byte[] bytes, DumpOpenOptions? options = null, string name = "test.kdump") =>
        (KdumpCompressedDump)KdumpCompressedDump.Open(new MemoryByteSource(name, bytes), options ?? DumpOpenOptions.Default);

    internal static byte[] ReadPage(DumpFile dump, ulong pfn, int size = 4096)
    {
        var buf = new byte[size];
        dump.Read(pfn * (ulong)size, buf, out int n).ShouldBe(ReadStatus.Ok, dump.ExplainFailure(pfn * (ulong)size, ReadStatus.Ok));
        n.ShouldBe(size);
        return buf;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Reads_pages_of_every_header_version(int version)
    {
        var b = new KdumpBuilder { HeaderVersion = version, DumpLevel = 17 }.WithPages(0, 1, 5, 63);
        b.Notes.Add(("CORE", 1, PrStatusNote(1234, rip: 0xffffffff81000000)));
        using var dump = Open(b.Build().Bytes);

        foreach (ulong pfn in new ulong[] { 0, 1, 5, 63 })
        {
            ReadPage(dump, pfn).ShouldBe(KdumpBuilder.Pattern(pfn));
        }

        dump.Header.HeaderVersion.ShouldBe(version);
        dump.MaxMapnr.ShouldBe(64UL);
        dump.HeaderUtsname!.Release.ShouldBe("6.1.0-test");
        dump.HeaderUtsname.Machine.ShouldBe("x86_64");
        dump.DumpLevel.ShouldBe(version >= 1 ? 17 : null);
        dump.SubHeader.PhysBase.ShouldBe(version >= 1 ? 0x1e00000UL : 0);
        dump.PanicCpu.ShouldBeNull(); // makedumpfile never records it
        if (version >= 3)
        {
            dump.VmcoreInfo!.OsRelease.ShouldBe("6.1.0-test");
            dump.CrashTime.ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1700000123)); // VMCOREINFO's CRASHTIME wins
        }
        else
        {
            dump.VmcoreInfo.ShouldBeNull();
            dump.CrashTime.ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddMilliseconds(250));
        }

        if (version >= 4)
        {
            dump.Notes.Select(n => n.Name).ShouldBe(["CORE", "VMCOREINFO"]);
            dump.Cpus.Count.ShouldBe(1);
            dump.Cpus[0].Pid.ShouldBe(1234);
        }
        else
        {
            dump.Notes.ShouldBeEmpty();
            dump.Cpus.ShouldBeEmpty();
        }
    }

    [Theory]
    [InlineData(PageCompression.None)]
    [InlineData(PageCompression.Zlib)]
    [InlineData(PageCompression.Snappy)]
    [InlineData(PageCompression.Zstd)]
    public void Reads_pages_of_every_codec(PageCompression codec)
    {
        var b = new KdumpBuilder { Compression = codec }.WithPages(2, 3, 40);
        var built = b.Build();
        using var dump = Open(built.Bytes);
        dump.Compression.ShouldBe(codec);
        dump.FormatName.ShouldBe($"compressed kdump ({codec.ToString().ToLowerInvariant()})");
        foreach (var pfn in b.Pages.Keys)
        {
            ReadPage(dump, pfn).ShouldBe(b.Pages[pfn]);
        }

        if (codec != PageCompression.None)
        {
            built.DataOf[2].Size.ShouldBeLessThan(4096); // the pattern compresses: the codec path ran
        }
    }

    [Fact]
    public void Reads_lzo_pages_through_the_page_codec()
    {
        var b = new KdumpBuilder { Compression = PageCompression.Lzo };
        b.Pages[7] = KdumpBuilder.RepeatingPage(0xdeadbeef);
        var built = b.Build();
        built.DataOf[7].Size.ShouldBe(27);
        using var dump = Open(built.Bytes);
        var buf = new byte[4096];
        var status = dump.Read(7 * 4096, buf, out _);

        if (HaveLzo)
        {
            status.ShouldBe(ReadStatus.Ok);
            buf.ShouldBe(b.Pages[7]);
        }
        else
        {
            status.ShouldBe(ReadStatus.DecompressionFailed);
            dump.ExplainFailure(7 * 4096, status)!.ShouldContain("lzo");
        }
    }

    [Fact]
    public void Mixed_codecs_per_page_are_read_by_each_descriptor_flag()
    {
        var codecs = new[] { PageCompression.None, PageCompression.Zlib, PageCompression.Snappy, PageCompression.Zstd };
        var b = new KdumpBuilder { CodecFor = pfn => codecs[pfn % 4] }.WithPages(0, 1, 2, 3, 4, 5, 6, 7);
        using var dump = Open(b.Build().Bytes);
        foreach (var pfn in b.Pages.Keys)
        {
            ReadPage(dump, pfn).ShouldBe(b.Pages[pfn]);
        }
    }

    [Fact]
    public void Zero_pages_share_one_stored_page()
    {
        var b = new KdumpBuilder { SharedZeroPage = true }.WithPages(1, 4);
        b.Pages[2] = new byte[4096];
        b.Pages[3] = new byte[4096];
        var built = b.Build();
        built.DataOf[2].ShouldBe(built.DataOf[3]);
        built.DataOf[2].Offset.ShouldBe(built.DataOffset);
        using var dump = Open(built.Bytes);
        ReadPage(dump, 2).ShouldBe(new byte[4096]);
        ReadPage(dump, 3).ShouldBe(new byte[4096]);
        ReadPage(dump, 4).ShouldBe(b.Pages[4]);
    }

    [Fact]
    public void Excluded_pages_fail_as_excluded_and_read_as_zeros_on_request()
    {
        var b = new KdumpBuilder { DumpLevel = 31 }.WithPages(1, 3);
        b.Excluded.Add(2);
        var bytes = b.Build().Bytes;
        using var dump = Open(bytes);
        dump.GetPageState(2).ShouldBe(PageState.Excluded);
        dump.GetPageState(1).ShouldBe(PageState.Present);
        dump.GetPageState(9).ShouldBe(PageState.NotInDump);
        var buf = new byte[3 * 4096];
        dump.Read(4096, buf, out int n).ShouldBe(ReadStatus.Excluded);
        n.ShouldBe(4096);
        dump.ExplainFailure(2 * 4096, ReadStatus.Excluded)!.ShouldContain("excluded by makedumpfile (dump_level 31)");

        using var zeroing = Open(bytes, new DumpOpenOptions { ZeroExcluded = true });
        zeroing.Read(4096, buf, out n).ShouldBe(ReadStatus.Ok);
        n.ShouldBe(buf.Length);
        buf.AsSpan(4096, 4096).ToArray().ShouldBe(new byte[4096]);
        buf.AsSpan(8192, 4096).ToArray().ShouldBe(b.Pages[3]);
    }

    [Fact]
    public void Holes_and_pages_beyond_max_mapnr_are_not_in_the_dump()
    {
        var b = new KdumpBuilder { MaxMapnr = 40 }.WithPages(0, 39);
        using var dump = Open(b.Build().Bytes);
        var buf = new byte[8];
        dump.Read(5 * 4096, buf, out _).ShouldBe(ReadStatus.NotInDump);
        dump.ExplainFailure(5 * 4096, ReadStatus.NotInDump)!.ShouldContain("not RAM");
        dump.Read(40 * 4096, buf, out _).ShouldBe(ReadStatus.NotInDump);
        dump.ExplainFailure(40 * 4096, ReadStatus.NotInDump)!.ShouldContain("beyond max_mapnr 0x28");
        dump.Read(ulong.MaxValue - 3, buf, out _).ShouldBe(ReadStatus.NotInDump);
        dump.GetPageState(1UL << 50).ShouldBe(PageState.NotInDump);
    }

    [Fact]
    public void A_read_across_pages_stops_at_the_first_unreadable_byte()
    {
        var b = new KdumpBuilder().WithPages(3, 4);
        using var dump = Open(b.Build().Bytes);
        var buf = new byte[6000];
        dump.Read((4 * 4096) + 100, buf, out int n).ShouldBe(ReadStatus.NotInDump);
        n.ShouldBe(4096 - 100);
        buf.AsSpan(0, n).ToArray().ShouldBe(b.Pages[4][100..]);

        dump.Read((3 * 4096) + 4000, buf.AsSpan(0, 200), out n).ShouldBe(ReadStatus.Ok);
        buf.AsSpan(0, 96).ToArray().ShouldBe(b.Pages[3][4000..]);
        buf.AsSpan(96, 104).ToArray().ShouldBe(b.Pages[4][..104]);
    }

    [Fact]
    public void Reading_a_page_in_pieces_decompresses_it_once_and_the_rank_index_is_built_lazily()
    {
        var b = new KdumpBuilder().WithPages(10, 11, 12);
        using var dump = Open(b.Build().Bytes);
        dump.Parts[0].Dumpable.HasRankIndex.ShouldBeFalse();
        var piece = new byte[256];
        for (int off = 0; off < 4096; off += 256)
        {
            dump.Read((11 * 4096) + (ulong)off, piece, out _).ShouldBe(ReadStatus.Ok);
            piece.ShouldBe(b.Pages[11][off..(off + 256)]);
        }

        dump.Decompressions.ShouldBe(1);
        dump.Parts[0].Dumpable.HasRankIndex.ShouldBeTrue();
    }

    [Fact]
    public void Concurrent_readers_get_the_right_pages()
    {
        var codecs = new[] { PageCompression.Zlib, PageCompression.Snappy, PageCompression.Zstd, PageCompression.None };
        var b = new KdumpBuilder { MaxMapnr = 200, CodecFor = pfn => codecs[pfn % 4] };
        b.WithPages(Enumerable.Range(0, 200).Where(i => i % 3 != 0).Select(i => (ulong)i).ToArray());
        using var dump = Open(b.Build().Bytes);
        var pfns = b.Pages.Keys.ToArray();
        Parallel.For(0, 1000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            ulong pfn = pfns[(i * 37) % pfns.Length];
            var buf = new byte[512];
            int off = (i % 8) * 512;
            dump.Read((pfn * 4096) + (ulong)off, buf, out _).ShouldBe(ReadStatus.Ok);
            buf.ShouldBe(b.Pages[pfn][off..(off + 512)]);
        });
    }

    [Fact]
    public void Many_pages_over_several_rank_blocks_are_located()
    {
        // Pfns spread over more than one 65536-bit super block and many 512-bit blocks.
        var pfns = Enumerable.Range(0, 400).Select(i => (ulong)((i * 331) + (i % 7))).ToArray();
        var b = new KdumpBuilder { MaxMapnr = 140_000, Compression = PageCompression.None, BlockSize = 512, VmcoreInfo = null };
        foreach (var p in pfns)
        {
            b.Pages[p] = KdumpBuilder.Pattern(p, 512);
        }

        using var dump = Open(b.Build().Bytes);
        foreach (var p in pfns)
        {
            ReadPage(dump, p, 512).ShouldBe(b.Pages[p]);
        }
    }

    [Fact]
    public void Physical_ranges_are_the_runs_of_the_ram_bitmap()
    {
        var b = new KdumpBuilder { MaxMapnr = 200 }.WithPages(0, 1, 2, 100, 130, 131);
        b.Excluded.Add(3);
        b.Excluded.Add(199);
        using var dump = Open(b.Build().Bytes);
        dump.PhysicalRanges.ShouldBe(
        [
            new PhysicalRange(0, 4 * 4096),
            new PhysicalRange(100 * 4096, 101 * 4096),
            new PhysicalRange(130 * 4096, 132 * 4096),
            new PhysicalRange(199 * 4096, 200 * 4096),
        ]);
    }

    [Fact]
    public void An_incomplete_dump_reports_unwritten_pages()
    {
        var b = new KdumpBuilder { ExtraStatus = 0x8 }.WithPages(1, 2);
        var built = b.Build();
        built.Bytes.AsSpan((int)built.DescriptorOf[2], 24).Clear(); // makedumpfile ran out of space here
        using var dump = Open(built.Bytes);
        dump.IsIncomplete.ShouldBeTrue();
        var buf = new byte[4096];
        dump.Read(2 * 4096, buf, out _).ShouldBe(ReadStatus.Truncated);
        dump.ExplainFailure(2 * 4096, ReadStatus.Truncated)!.ShouldContain("DUMP_DH_COMPRESSED_INCOMPLETE");
        ReadPage(dump, 1).ShouldBe(b.Pages[1]);

        using var zeroing = Open(built.Bytes, new DumpOpenOptions { ZeroExcluded = true });
        ReadPage(zeroing, 2).ShouldBe(new byte[4096]);
    }

    [Fact]
    public void The_old_diskdump_signature_is_read_and_its_current_cpu_is_the_panic_cpu()
    {
        var b = new KdumpBuilder { Signature = "DISKDUMP", HeaderVersion = 0, Compression = PageCompression.None }.WithPages(0, 2);
        var bytes = b.Build().Bytes;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(456), 1); // current_cpu
        using var dump = Open(bytes);
        dump.FormatName.ShouldBe("diskdump");
        dump.PanicCpu.ShouldBe(1);
        dump.DumpLevel.ShouldBeNull();
        dump.Producer.ShouldBe(DumpProducer.Unknown);
        ReadPage(dump, 2).ShouldBe(b.Pages[2]);
    }

    [Fact]
    public void Describe_gives_the_header_fields_by_their_c_names()
    {
        var b = new KdumpBuilder { DumpLevel = 31 }.WithPages(0, 1);
        b.Notes.Add(("CORE", 1, PrStatusNote(77, rip: 0xffffffff81234567)));
        using var dump = Open(b.Build().Bytes);
        var d = dump.Describe();
        var all = Flatten(d).ToDictionary(x => x.Path, x => x.Value);
        all["header/signature"].ShouldBe("\"KDUMP   \"");
        all["header/header_version"].ShouldBe("6");
        all["header/utsname/release"].ShouldBe("6.1.0-test");
        all["header/timestamp/tv_sec"].ShouldBe(1_700_000_000L.ToString("x"));
        all["header/status"].ShouldBe("1 (DUMP_DH_COMPRESSED_ZLIB)");
        all["header/block_size"].ShouldBe("4096");
        all["header/nr_cpus"].ShouldBe("2");
        all["sub_header_kdump/phys_base"].ShouldBe("1e00000");
        all["sub_header_kdump/dump_level"].ShouldBe("31 (0x1f) (DUMP_EXCLUDE_ZERO|DUMP_EXCLUDE_CACHE|DUMP_EXCLUDE_CACHE_PRI|DUMP_EXCLUDE_USER_DATA|DUMP_EXCLUDE_FREE)");
        all["sub_header_kdump/split"].ShouldBe("0");
        all["sub_header_kdump/start_pfn_64"].ShouldBe("(unused)");
        all["sub_header_kdump/max_mapnr_64"].ShouldBe("64 (0x40)");
        all["sub_header_kdump/offset_note"].ShouldBe("4200 (0x1068)");
        all["header/tasks[nr_cpus]"].ShouldBe("0, 0");
        all["sub_header_kdump/num_prstatus_notes"].ShouldBe("1");
        all["sub_header_kdump/notes[0]/pid"].ShouldBe("77");
        all["sub_header_kdump/notes[0]/RIP"].ShouldBe("ffffffff81234567");
        all["sub_header_kdump/NOTE offsets"].ShouldBe("1068 (NT_PRSTATUS), 11cc (VMCOREINFO)");
        all["sub_header_kdump/vmcoreinfo/OSRELEASE"].ShouldBe("6.1.0-test");
        all["sub_header_kdump/vmcoreinfo/CRASHTIME"].ShouldBe("1700000123");
        all.ShouldContainKey("sub_header_kdump/offset_eraseinfo");
        all["total_valid_pages"].ShouldBe("2");
    }

    internal static IEnumerable<(string Path, string? Value)> Flatten(DumpDescription d, string prefix = "")
    {
        foreach (var c in d.Children)
        {
            string path = prefix.Length == 0 ? c.Name : $"{prefix}/{c.Name}";
            yield return (path, c.Value);
            foreach (var x in Flatten(c, path))
            {
                yield return x;
            }
        }
    }

    internal static byte[] PrStatusNote(int pid, ulong rip)
    {
        var d = new byte[336];
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(32), pid);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(112 + (16 * 8)), rip);
        return d;
    }
}
