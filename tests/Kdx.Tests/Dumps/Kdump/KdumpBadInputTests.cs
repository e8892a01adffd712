using System.Buffers.Binary;
using Kdx.Core.Compression;
using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.IO;
using Kdx.Core.Memory;

namespace Kdx.Tests.Dumps.Kdump;

public class KdumpBadInputTests
{
    private static KdumpBuilder Sample()
    {
        var b = new KdumpBuilder { SharedZeroPage = true }.WithPages(0, 1, 2, 9, 30, 31);
        b.Pages[5] = new byte[4096];
        b.Excluded.Add(3);
        b.Notes.Add(("CORE", 1, KdumpReaderTests.PrStatusNote(1, 0)));
        return b;
    }

    private static DumpFormatException OpenFails(byte[] bytes, ParseLimits? limits = null)
    {
        var e = Should.Throw<DumpFormatException>(() => KdumpCompressedDump.Open(
            new MemoryByteSource("bad.kdump", bytes), new DumpOpenOptions { Limits = limits ?? ParseLimits.Default }));
        e.Message.ShouldStartWith("bad.kdump: ");
        return e;
    }

    [Fact]
    public void A_file_cut_anywhere_gives_a_clear_error_or_a_truncated_page()
    {
        var b = Sample();
        var built = b.Build();
        var full = built.Bytes;
        long[] cuts =
        [
            0, 7, 100, 463, 464, 4096 + 50, 4096 + 104 + 20, built.BitmapOffset, built.BitmapOffset + 100,
            built.DescriptorsOffset, built.DescriptorsOffset + 30, built.DataOffset + 10, built.DataOf[9].Offset + 5,
            built.DataOf[31].Offset + 1, full.Length - 1,
        ];
        cuts.Length.ShouldBeGreaterThanOrEqualTo(10);
        foreach (long cut in cuts)
        {
            var bytes = full[..(int)cut];
            DumpFile dump;
            try
            {
                dump = KdumpCompressedDump.Open(new MemoryByteSource("cut.kdump", bytes), DumpOpenOptions.Default);
            }
            catch (DumpFormatException e)
            {
                // Cut within the headers, notes or bitmaps: the file cannot be opened, and says why.
                e.Message.ShouldStartWith("cut.kdump: ");
                (e.Message.Contains("truncated at offset", StringComparison.Ordinal) || e.Message.Contains("signature", StringComparison.Ordinal))
                    .ShouldBeTrue($"cut at {cut}: {e.Message}");
                cut.ShouldBeLessThanOrEqualTo(built.DescriptorsOffset);
                continue;
            }

            using (dump)
            {
                cut.ShouldBeGreaterThanOrEqualTo(built.DescriptorsOffset);
                int truncated = 0;
                foreach (var pfn in b.Pages.Keys)
                {
                    var buf = new byte[4096];
                    var status = dump.Read(pfn * 4096, buf, out _);
                    if (status == ReadStatus.Ok)
                    {
                        buf.ShouldBe(b.Pages[pfn]);
                        continue;
                    }

                    status.ShouldBe(ReadStatus.Truncated, $"pfn {pfn} cut at {cut}");
                    dump.ExplainFailure(pfn * 4096, status)!.ShouldContain($"file truncated at offset {cut}");
                    truncated++;
                }

                truncated.ShouldBeGreaterThan(0, $"cut at {cut}");
            }
        }
    }

    [Fact]
    public void A_zeroed_header_or_wrong_magic_is_not_a_kdump()
    {
        var bytes = Sample().Build().Bytes;
        var zeroed = (byte[])bytes.Clone();
        zeroed.AsSpan(0, 464).Clear();
        OpenFails(zeroed).Message.ShouldContain("signature");

        var wrong = (byte[])bytes.Clone();
        "KDUMP  X"u8.CopyTo(wrong);
        var e = OpenFails(wrong);
        e.Message.ShouldContain("\"KDUMP  X\"");
        e.Offset.ShouldBe(0);
        DumpFiles.Identify(new MemoryByteSource("x", wrong)).ShouldBe(FileKind.Unknown);
    }

    [Theory]
    [InlineData(428, 3000, "invalid block_size 3000")]
    [InlineData(428, 0, "invalid block_size 0")]
    [InlineData(428, 1 << 30, "invalid block_size 1073741824")]
    [InlineData(428, 256, "invalid block_size 256")]
    [InlineData(8, -1, "invalid header_version -1")]
    [InlineData(460, -1, "invalid nr_cpus -1")]
    [InlineData(460, 1 << 30, "invalid nr_cpus 1073741824")]
    [InlineData(432, -5, "invalid sub_hdr_size -5")]
    [InlineData(432, 0, "invalid sub_hdr_size 0")]
    [InlineData(436, 0, "bitmap_blocks is 0")]
    [InlineData(436, 0x7fffffff, "file truncated at offset")]
    [InlineData(432, 0x7ffffff0, "file truncated at offset")]
    public void Absurd_header_fields_are_refused(int offset, int value, string message)
    {
        var bytes = Sample().Build().Bytes;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), value);
        OpenFails(bytes).Message.ShouldContain(message);
    }

    [Fact]
    public void Max_mapnr_beyond_the_limit_or_the_bitmap_is_refused()
    {
        var bytes = Sample().Build().Bytes;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(4096 + 96), 1UL << 50); // max_mapnr_64
        OpenFails(bytes).Message.ShouldContain("beyond the limit");

        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(4096 + 96), 1_000_000);
        OpenFails(bytes).Message.ShouldContain("too small for max_mapnr 1000000");

        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(4096 + 96), 100);
        var small = new ParseLimits { MaxPfn = 99 };
        OpenFails(bytes, small).Message.ShouldContain("max_mapnr 100 is beyond the limit of 99");
    }

    [Fact]
    public void Absurd_note_and_vmcoreinfo_sizes_are_refused()
    {
        var bytes = Sample().Build().Bytes;
        var notes = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(notes.AsSpan(4096 + 56), ulong.MaxValue / 2); // size_note
        OpenFails(notes).Message.ShouldContain("size_note");

        var pastEnd = (byte[])bytes.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(pastEnd.AsSpan(4096 + 48), bytes.Length - 10); // offset_note
        OpenFails(pastEnd).Message.ShouldContain("file truncated at offset");

        var vmci = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(vmci.AsSpan(4096 + 40), 1UL << 40); // size_vmcoreinfo
        OpenFails(vmci).Message.ShouldContain("invalid VMCOREINFO");
    }

    [Fact]
    public void An_inverted_split_range_is_refused()
    {
        var b = Sample();
        b.Split = (40, 10);
        OpenFails(b.Build().Bytes).Message.ShouldContain("invalid split range");
    }

    [Fact]
    public void A_descriptor_pointing_past_the_end_is_a_truncated_page()
    {
        var built = Sample().Build();
        BinaryPrimitives.WriteInt64LittleEndian(built.Bytes.AsSpan((int)built.DescriptorOf[9]), built.Bytes.Length - 100);
        using var dump = KdumpReaderTests.Open(built.Bytes);
        var buf = new byte[4096];
        dump.Read(9 * 4096, buf, out _).ShouldBe(ReadStatus.Truncated);
        dump.ExplainFailure(9 * 4096, ReadStatus.Truncated)!.ShouldContain($"file truncated at offset {built.Bytes.Length}: the page data of pfn 0x9");
    }

    [Theory]
    [InlineData(8, 0u, "size 0 is not 1..4096")]
    [InlineData(8, 4097u, "size 4097 is not 1..4096")]
    [InlineData(12, 3u, "more than one compression method")]
    [InlineData(12, 0u, "uncompressed page of")]
    public void Nonsense_descriptors_are_corrupt(int field, uint value, string message)
    {
        var built = Sample().Build();
        BinaryPrimitives.WriteUInt32LittleEndian(built.Bytes.AsSpan((int)built.DescriptorOf[9] + field), value);
        using var dump = KdumpReaderTests.Open(built.Bytes);
        var buf = new byte[4096];
        dump.Read(9 * 4096, buf, out _).ShouldBe(ReadStatus.Corrupt);
        var why = dump.ExplainFailure(9 * 4096, ReadStatus.Corrupt)!;
        why.ShouldContain("corrupt page descriptor of pfn 0x9 in test.kdump at offset " + built.DescriptorOf[9]);
        why.ShouldContain(message);
    }

    [Fact]
    public void A_descriptor_pointing_into_the_headers_is_corrupt()
    {
        var built = Sample().Build();
        BinaryPrimitives.WriteInt64LittleEndian(built.Bytes.AsSpan((int)built.DescriptorOf[9]), 100);
        using var dump = KdumpReaderTests.Open(built.Bytes);
        dump.Read(9 * 4096, new byte[8], out _).ShouldBe(ReadStatus.Corrupt);
        dump.ExplainFailure(9 * 4096, ReadStatus.Corrupt)!.ShouldContain("outside the page data area");
    }

    [Theory]
    [InlineData(PageCompression.Zlib)]
    [InlineData(PageCompression.Snappy)]
    [InlineData(PageCompression.Zstd)]
    public void A_corrupt_compressed_page_fails_to_decompress(PageCompression codec)
    {
        var b = new KdumpBuilder { Compression = codec }.WithPages(1, 2);
        var built = b.Build();
        var (offset, size) = built.DataOf[2];
        for (int i = 0; i < size; i += 3)
        {
            built.Bytes[offset + i] ^= 0x5a;
        }

        using var dump = KdumpReaderTests.Open(built.Bytes);
        var buf = new byte[4096];
        dump.Read(2 * 4096, buf, out int n).ShouldBe(ReadStatus.DecompressionFailed);
        n.ShouldBe(0);
        dump.ExplainFailure(2 * 4096, ReadStatus.DecompressionFailed)!
            .ShouldBe($"{codec.ToString().ToLowerInvariant()} the page data of pfn 0x2 in test.kdump ({size} bytes at offset {offset}) does not decompress to 4096 bytes");
        KdumpReaderTests.ReadPage(dump, 1).ShouldBe(b.Pages[1]);
    }

    [Fact]
    public void A_corrupt_lzo_page_fails_to_decompress()
    {
        var b = new KdumpBuilder { Compression = PageCompression.Lzo };
        b.Pages[1] = KdumpBuilder.RepeatingPage(0x11223344);
        var built = b.Build();
        var (offset, size) = built.DataOf[1];
        size.ShouldBeLessThan(4096);
        built.Bytes[offset + size - 4] = 0xff; // the match distance now reaches far before the start of the page
        using var dump = KdumpReaderTests.Open(built.Bytes);
        dump.Read(4096, new byte[4096], out _).ShouldBe(ReadStatus.DecompressionFailed);
        dump.ExplainFailure(4096, ReadStatus.DecompressionFailed)!.ShouldStartWith("lzo the page data of pfn 0x1");
    }

    [Fact]
    public void A_page_that_decompresses_short_fails()
    {
        var b = new KdumpBuilder { Compression = PageCompression.Zlib };
        b.Pages[1] = new byte[4096];
        var built = b.Build();

        // Replace the page with a valid zlib stream of 100 bytes.
        var shortPage = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(shortPage, System.IO.Compression.CompressionLevel.Fastest, true))
        {
            z.Write(new byte[100]);
        }

        var (offset, _) = built.DataOf[1];
        shortPage.ToArray().CopyTo(built.Bytes, offset);
        BinaryPrimitives.WriteUInt32LittleEndian(built.Bytes.AsSpan((int)built.DescriptorOf[1] + 8), (uint)shortPage.Length);
        using var dump = KdumpReaderTests.Open(built.Bytes);
        dump.Read(4096, new byte[16], out _).ShouldBe(ReadStatus.DecompressionFailed);
    }
}
