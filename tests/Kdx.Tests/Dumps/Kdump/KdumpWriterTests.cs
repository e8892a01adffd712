using System.Buffers.Binary;
using System.Text;
using Kdx.Core;
using Kdx.Core.Compression;
using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.IO;
using Kdx.Core.Memory;

namespace Kdx.Tests.Dumps.Kdump;

public class KdumpWriterTests
{
    private static KdumpBuilder Source()
    {
        var b = new KdumpBuilder { DumpLevel = 16, Compression = PageCompression.Zstd, MaxMapnr = 300 }.WithPages(0, 1, 2, 10, 64, 65, 200, 299);
        b.Pages[3] = new byte[4096];
        b.Pages[150] = KdumpBuilder.RepeatingPage(0x01020304);
        b.Excluded.Add(4);
        b.Excluded.Add(201);
        b.Notes.Add(("CORE", 1, KdumpReaderTests.PrStatusNote(11, 0xffffffff81001000)));
        b.Notes.Add(("CORE", 1, KdumpReaderTests.PrStatusNote(22, 0xffffffff81002000)));
        return b;
    }

    private static (KdumpCompressedDump Dump, KdumpWriteResult Result, byte[] Bytes) Convert(DumpFile source, KdumpWriterOptions options)
    {
        var output = new MemoryStream();
        var result = KdumpWriter.Write(source, output, options);
        var bytes = output.ToArray();
        if (!options.Flattened)
        {
            result.FileSize.ShouldBe(bytes.Length);
        }

        var dump = options.Flattened
            ? (KdumpCompressedDump)DumpFiles.Open([new MemoryByteSource("out.flat", bytes)], DumpOpenOptions.Default)
            : KdumpReaderTests.Open(bytes, name: "out.kdump");
        return (dump, result, bytes);
    }

    [Theory]
    [InlineData(PageCompression.None, false)]
    [InlineData(PageCompression.Zlib, true)]
    [InlineData(PageCompression.Lzo, true)]
    [InlineData(PageCompression.Snappy, false)]
    [InlineData(PageCompression.Zstd, true)]
    public void A_kdump_round_trips_through_the_writer(PageCompression codec, bool zeroPages)
    {
        var b = Source();
        using var source = KdumpReaderTests.Open(b.Build().Bytes);
        var (dump, result, _) = Convert(source, new KdumpWriterOptions { Compression = codec, ExcludeZeroPages = zeroPages });
        using (dump)
        {
            foreach (var pfn in b.Pages.Keys)
            {
                KdumpReaderTests.ReadPage(dump, pfn).ShouldBe(b.Pages[pfn]);
            }

            foreach (var pfn in b.Excluded)
            {
                dump.GetPageState(pfn).ShouldBe(PageState.Excluded);
            }

            dump.GetPageState(5).ShouldBe(PageState.NotInDump);
            dump.PhysicalRanges.ShouldBe(source.PhysicalRanges);
            dump.Compression.ShouldBe(codec);
            dump.Header.Utsname.ShouldBe(source.Header.Utsname);
            dump.Header.TimestampSeconds.ShouldBe(source.Header.TimestampSeconds);
            dump.Header.NrCpus.ShouldBe(2);
            dump.SubHeader.PhysBase.ShouldBe(0x1e00000UL);
            dump.DumpLevel.ShouldBe(16 | (zeroPages ? 1 : 0));
            dump.VmcoreInfo!.Text.ShouldBe(source.VmcoreInfo!.Text);
            dump.Notes.Select(n => $"{n.Name}/{n.Type}/{System.Convert.ToHexString(n.Descriptor.Span)}").ShouldBe(source.Notes.Select(n => $"{n.Name}/{n.Type}/{System.Convert.ToHexString(n.Descriptor.Span)}"));
            dump.Cpus.Select(c => c.Pid).ShouldBe([11, 22]);
            result.DumpedPages.ShouldBe(b.Pages.Count);
            result.SourceExcludedPages.ShouldBe(2);
            result.ZeroPages.ShouldBe(zeroPages ? 1 : 0);
            result.UnreadablePages.ShouldBe(0);
            result.MaxMapnr.ShouldBe(300UL);
            using var pageCodec = new PageCodec();
            bool codecWorks = pageCodec.Compress(codec, new byte[4096], new byte[8192]) > 0;
            result.CompressedPages.ShouldBe(codecWorks ? b.Pages.Count - (zeroPages ? 1 : 0) : 0);
        }
    }

    [Fact]
    public void A_source_opened_with_zero_excluded_gives_zero_pages_for_its_excluded_ones()
    {
        var b = Source();
        using var source = KdumpReaderTests.Open(b.Build().Bytes, new DumpOpenOptions { ZeroExcluded = true });
        var (dump, result, _) = Convert(source, new KdumpWriterOptions { ExcludeZeroPages = true });
        using (dump)
        {
            dump.GetPageState(4).ShouldBe(PageState.Present);
            KdumpReaderTests.ReadPage(dump, 4).ShouldBe(new byte[4096]);
            KdumpReaderTests.ReadPage(dump, 201).ShouldBe(new byte[4096]);
            result.SourceExcludedPages.ShouldBe(0);
            result.ZeroPages.ShouldBe(3);
            dump.GetPageState(5).ShouldBe(PageState.NotInDump);
        }
    }

    [Fact]
    public void The_layout_is_makedumpfiles()
    {
        var b = Source();
        using var source = KdumpReaderTests.Open(b.Build().Bytes);
        var (dump, result, bytes) = Convert(source, new KdumpWriterOptions { Compression = PageCompression.Zlib, ExcludeZeroPages = true });
        using (dump)
        {
            var h = dump.Header;
            h.Signature.ShouldBe("KDUMP   ");
            h.HeaderVersion.ShouldBe(6);
            h.BlockSize.ShouldBe(4096);
            h.Status.ShouldBe(KdumpFlags.CompressedZlib);
            h.MaxMapnr.ShouldBe(300U);
            h.BitmapBlocks.ShouldBe(2U); // (300 bits → 1 block) × 2
            var k = dump.SubHeader;
            k.OffsetNote.ShouldBe(4096 + 104);
            h.SubHeaderBlocks.ShouldBe((int)((104 + (long)k.SizeNote + 4095) / 4096));
            Encoding.ASCII.GetString(bytes, (int)k.OffsetVmcoreinfo, 10).ShouldBe("OSRELEASE=");
            k.SizeVmcoreinfo.ShouldBe((ulong)b.VmcoreInfo!.Length);
            k.MaxMapnr64.ShouldBe(300UL);
            k.Split.ShouldBe(0);

            // Descriptors right after the bitmaps; the shared zero page first in the page data.
            long descriptors = (1 + h.SubHeaderBlocks + h.BitmapBlocks) * 4096L;
            long data = descriptors + (result.DumpedPages * 24);
            var zeroDesc = PageDescriptor.Read(bytes.AsSpan((int)descriptors + (3 * 24))); // pfn 3 is the 4th dumpable page
            zeroDesc.ShouldBe(new PageDescriptor(data, 4096, KdumpFlags.None, 0));
            bytes.AsSpan((int)data, 4096).IndexOfAnyExcept((byte)0).ShouldBe(-1);
            var first = PageDescriptor.Read(bytes.AsSpan((int)descriptors));
            first.Offset.ShouldBe(data + 4096);
            first.Flags.ShouldBe(KdumpFlags.CompressedZlib);
        }
    }

    [Fact]
    public void An_elf_like_source_converts_with_partial_pages_notes_and_the_utsname_from_memory()
    {
        const ulong physBase = 0x2000000;
        const ulong initUtsNs = 0xffffffff80012340; // in the kernel image mapping: 0x12340 bytes above phys_base
        ulong utsPhys = initUtsNs + 8 - 0xffffffff80000000 + physBase; // OFFSET(uts_namespace.name)=8
        var low = new byte[0x9fc00 - 0x1000];
        new Random(5).NextBytes(low);
        var high = new byte[64 * 4096];
        new Random(6).NextBytes(high);
        high.AsSpan(4096, 4096).Clear(); // a zero page
        var uts = new byte[390];
        string[] fields = ["Linux", "guest", "6.1.0-56-cloud-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192", "x86_64", "(none)"];
        for (int i = 0; i < 6; i++)
        {
            Encoding.ASCII.GetBytes(fields[i]).CopyTo(uts, i * 65);
        }

        uts.CopyTo(high, (int)(utsPhys - physBase));
        var vmcoreinfo = $"OSRELEASE=6.1.0-56-cloud-amd64\nPAGESIZE=4096\nSYMBOL(init_uts_ns)={initUtsNs:x}\nOFFSET(uts_namespace.name)=8\nNUMBER(phys_base)={physBase}\nCRASHTIME=1712345678\n";
        var source = new MemoryDump()
            .AddSegment(0x1000, low)
            .AddSegment(physBase, high)
            .AddNote("CORE", 1, KdumpReaderTests.PrStatusNote(1, 0))
            .AddNote("VMCOREINFO", 0, Encoding.ASCII.GetBytes(vmcoreinfo));
        ulong excludedPfn = (physBase / 4096) + 10, brokenPfn = (physBase / 4096) + 11;
        source.ExcludedPfns.Add(excludedPfn);
        source.BrokenPfns.Add(brokenPfn);

        var (dump, result, _) = Convert(source, new KdumpWriterOptions { Compression = PageCompression.Zstd, ExcludeZeroPages = true });
        using (dump)
        {
            dump.Header.Utsname.ShouldBe(new DumpUtsname(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]));
            dump.Header.TimestampSeconds.ShouldBe(1712345678);
            dump.Header.NrCpus.ShouldBe(1);
            dump.SubHeader.PhysBase.ShouldBe(physBase);
            dump.MaxMapnr.ShouldBe((physBase / 4096) + 64);
            dump.VmcoreInfo!.Get("SYMBOL(init_uts_ns)").ShouldBe(initUtsNs.ToString("x"));

            // The last low page is only 0xc00 bytes long in the source: the rest reads as zeros.
            var last = KdumpReaderTests.ReadPage(dump, 0x9f);
            last.AsSpan(0, 0xc00).ToArray().ShouldBe(low[^0xc00..]);
            last.AsSpan(0xc00).IndexOfAnyExcept((byte)0).ShouldBe(-1);
            KdumpReaderTests.ReadPage(dump, 1).ShouldBe(low[..4096]);
            KdumpReaderTests.ReadPage(dump, (physBase / 4096) + 1).ShouldBe(new byte[4096]);
            KdumpReaderTests.ReadPage(dump, (physBase / 4096) + 63).ShouldBe(high[(63 * 4096)..]);
            dump.GetPageState(0).ShouldBe(PageState.NotInDump);
            dump.GetPageState(excludedPfn).ShouldBe(PageState.Excluded);
            dump.GetPageState(brokenPfn).ShouldBe(PageState.Excluded);
            result.UnreadablePages.ShouldBe(1);
            result.FirstUnreadable!.ShouldStartWith($"0x{brokenPfn * 4096:x}: corrupt dump");
            result.DumpedPages.ShouldBe(0x9f + 64 - 2);
        }
    }

    [Fact]
    public void A_qemu_header_is_completed_from_vmcoreinfo_and_memory()
    {
        // QEMU 7.2's kdump-zlib: utsname with only the machine, timestamp 0, and a phys_base it got wrong
        // (it parses VMCOREINFO's decimal NUMBER(phys_base) as hex).
        const ulong initUtsNs = 0xffffffff80000000 + 0x100000 + 0x3010; // with phys_base -0x100000: physical 0x3010
        var uts = new byte[4096];
        string[] fields = ["Linux", "(none)", "6.1.0-56-cloud-amd64", "#1 SMP PREEMPT_DYNAMIC", "x86_64", "(none)"];
        for (int i = 0; i < 6; i++)
        {
            Encoding.ASCII.GetBytes(fields[i]).CopyTo(uts, 0x10 + (i * 65));
        }

        var b = new KdumpBuilder
        {
            Utsname = [string.Empty, string.Empty, string.Empty, string.Empty, "x86_64", string.Empty],
            Timestamp = 0,
            PhysBase = 0xfffffffa7cff7daa,
            DumpLevel = 1,
            VmcoreInfo = $"OSRELEASE=6.1.0-56-cloud-amd64\nSYMBOL(init_uts_ns)={initUtsNs:x}\nOFFSET(uts_namespace.name)=0\nNUMBER(phys_base)=-1048576\nCRASHTIME=1795553402\n",
        }.WithPages(0, 1);
        b.Pages[3] = uts;
        using var source = KdumpReaderTests.Open(b.Build().Bytes);
        var (dump, _, _) = Convert(source, new KdumpWriterOptions());
        using (dump)
        {
            dump.Header.Utsname.ShouldBe(new DumpUtsname(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]));
            dump.Header.TimestampSeconds.ShouldBe(1795553402);
            dump.Header.TimestampMicroseconds.ShouldBe(0);
            dump.SubHeader.PhysBase.ShouldBe(unchecked((ulong)-1048576));
        }
    }

    [Fact]
    public void Without_a_utsname_in_memory_the_header_names_the_release()
    {
        var source = new MemoryDump().AddSegment(0, new byte[8192]).AddNote("VMCOREINFO", 0, "OSRELEASE=5.10.0-32\n"u8.ToArray());
        var (dump, _, _) = Convert(source, new KdumpWriterOptions());
        using (dump)
        {
            dump.Header.Utsname.ShouldBe(new DumpUtsname("Linux", string.Empty, "5.10.0-32", string.Empty, "x86_64", string.Empty));
        }

        var given = new DumpUtsname("Linux", "box", "1.2.3", "#9", "x86_64", "dom");
        var (dump2, _, _) = Convert(source, new KdumpWriterOptions { Utsname = given, PhysBase = 77 });
        using (dump2)
        {
            dump2.Header.Utsname.ShouldBe(given);
            dump2.SubHeader.PhysBase.ShouldBe(77UL);
        }
    }

    [Fact]
    public void A_page_filter_excludes_pages_and_is_recorded_in_the_dump_level()
    {
        var b = Source();
        using var source = KdumpReaderTests.Open(b.Build().Bytes);
        var filter = new OddPagesFilter();
        var (dump, result, _) = Convert(source, new KdumpWriterOptions { Filter = filter });
        using (dump)
        {
            dump.DumpLevel.ShouldBe(16 | 8);
            foreach (var pfn in b.Pages.Keys)
            {
                dump.GetPageState(pfn).ShouldBe(pfn % 2 == 1 ? PageState.Excluded : PageState.Present);
            }

            result.FilteredPages.ShouldBe(b.Pages.Keys.Count(p => p % 2 == 1));
            filter.Asked.ShouldBe(b.Pages.Keys.ToList()); // every present page, in pfn order
            KdumpReaderTests.ReadPage(dump, 10).ShouldBe(b.Pages[10]);
        }
    }

    [Fact]
    public void Dump_levels_need_a_classifier_for_bits_above_one()
    {
        KdumpWriterOptions.ForDumpLevel(0, PageCompression.Lzo).ExcludeZeroPages.ShouldBeFalse();
        var one = KdumpWriterOptions.ForDumpLevel(1, PageCompression.Lzo);
        one.ExcludeZeroPages.ShouldBeTrue();
        one.Filter.ShouldBeNull();
        Should.Throw<KdxException>(() => KdumpWriterOptions.ForDumpLevel(31, PageCompression.Zlib)).Message.ShouldContain("needs the kernel page classifier for bits 30");
        Should.Throw<KdxException>(() => KdumpWriterOptions.ForDumpLevel(32, PageCompression.Zlib)).Message.ShouldContain("invalid dump level 32");
        Should.Throw<KdxException>(() => KdumpWriterOptions.ForDumpLevel(17, PageCompression.Zlib, new OddPagesFilter())); // covers 8, not 16
        var filter = new OddPagesFilter { Level = 30 };
        KdumpWriterOptions.ForDumpLevel(31, PageCompression.Zlib, filter).Filter.ShouldBeSameAs(filter);
    }

    [Fact]
    public void The_flattened_format_goes_to_any_stream()
    {
        var b = Source();
        using var source = KdumpReaderTests.Open(b.Build().Bytes);
        var pipe = new NonSeekableStream();
        Should.Throw<ArgumentException>(() => KdumpWriter.Write(source, pipe, new KdumpWriterOptions()));
        KdumpWriter.Write(source, pipe, new KdumpWriterOptions { Flattened = true, ExcludeZeroPages = true });
        using var dump = (KdumpCompressedDump)DumpFiles.Open([new MemoryByteSource("piped", pipe.Written.ToArray())], DumpOpenOptions.Default);
        dump.FormatName.ShouldBe("compressed kdump (zlib), flattened");
        foreach (var pfn in b.Pages.Keys)
        {
            KdumpReaderTests.ReadPage(dump, pfn).ShouldBe(b.Pages[pfn]);
        }
    }

    [Fact]
    public void Writing_to_a_file_reports_progress_and_can_be_cancelled()
    {
        var b = Source();
        using var source = KdumpReaderTests.Open(b.Build().Bytes);
        string path = Path.Combine(Path.GetTempPath(), $"kdx-writer-{Guid.NewGuid():N}.kdump");
        try
        {
            var seen = new List<KdumpWriteProgress>();
            var result = KdumpWriter.Write(source, path, new KdumpWriterOptions { Progress = new SyncProgress(seen) });
            seen[^1].ShouldBe(new KdumpWriteProgress(b.Pages.Count, b.Pages.Count));
            new FileInfo(path).Length.ShouldBe(result.FileSize);
            using (var dump = DumpFiles.Open(path))
            {
                KdumpReaderTests.ReadPage(dump, 299).ShouldBe(b.Pages[299]);
            }

            using var cancel = new CancellationTokenSource();
            cancel.Cancel();
            Should.Throw<OperationCanceledException>(() => KdumpWriter.Write(source, path, new KdumpWriterOptions(), cancel.Token));
        }
        finally
        {
            File.Delete(path);
        }

        Should.Throw<KdxException>(() => KdumpWriter.Write(source, "/nonexistent-dir/x.kdump", new KdumpWriterOptions()))
            .Message.ShouldStartWith("/nonexistent-dir/x.kdump: cannot create the file");
    }

    private sealed class OddPagesFilter : IPageFilter
    {
        public int Level { get; init; } = 8;

        public List<ulong> Asked { get; } = [];

        public int DumpLevel => Level;

        public bool Keep(ulong pfn)
        {
            Asked.Add(pfn);
            return pfn % 2 == 0;
        }
    }

    private sealed class SyncProgress(List<KdumpWriteProgress> seen) : IProgress<KdumpWriteProgress>
    {
        public void Report(KdumpWriteProgress value) => seen.Add(value);
    }

    private sealed class NonSeekableStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }
}
