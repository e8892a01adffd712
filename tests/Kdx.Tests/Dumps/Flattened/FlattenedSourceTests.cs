using System.Buffers.Binary;
using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Flattened;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.IO;
using Kdx.Tests.Dumps.Kdump;

namespace Kdx.Tests.Dumps.Flattened;

public class FlattenedSourceTests
{
    /// <summary>
    /// A flattened stream of <paramref name="file"/>: records of up to <paramref name="chunk"/> bytes,
    /// all-zero records left out (they become holes), optionally shuffled, plus extra records.
    /// </summary>
    internal static byte[] Flatten(byte[] file, int chunk, int? shuffleSeed = null, bool endMarker = true, IEnumerable<(long Offset, byte[] Data)>? extra = null)
    {
        var records = new List<(long Offset, byte[] Data)>();
        for (int at = 0; at < file.Length; at += chunk)
        {
            var data = file.AsSpan(at, Math.Min(chunk, file.Length - at)).ToArray();
            if (data.Any(b => b != 0) || at + data.Length == file.Length)
            {
                records.Add((at, data));
            }
        }

        if (shuffleSeed is int seed)
        {
            var rng = new Random(seed);
            records = records.OrderBy(_ => rng.Next()).ToList();
        }

        records.AddRange(extra ?? []);
        var s = new MemoryStream();
        var w = new FlattenedStreamWriter(s);
        foreach (var (offset, data) in records)
        {
            w.WriteRecord(offset, data);
        }

        if (endMarker)
        {
            w.WriteEndMarker();
        }

        return s.ToArray();
    }

    private static FlattenedSource OpenFlat(byte[] stream, ParseLimits? limits = null) =>
        FlattenedSource.Open(new MemoryByteSource("flat", stream), limits ?? ParseLimits.Default);

    [Fact]
    public void The_stream_header_is_big_endian_and_padded_to_4096_bytes()
    {
        var s = Flatten([1, 2, 3], 16);
        s.Length.ShouldBe(4096 + 16 + 3 + 16);
        s.AsSpan(0, 16).ToArray().ShouldBe("makedumpfile\0\0\0\0"u8.ToArray());
        BinaryPrimitives.ReadInt64BigEndian(s.AsSpan(16)).ShouldBe(1);
        BinaryPrimitives.ReadInt64BigEndian(s.AsSpan(24)).ShouldBe(1);
        BinaryPrimitives.ReadInt64BigEndian(s.AsSpan(4096)).ShouldBe(0);
        BinaryPrimitives.ReadInt64BigEndian(s.AsSpan(4104)).ShouldBe(3);
        BinaryPrimitives.ReadInt64BigEndian(s.AsSpan(s.Length - 16)).ShouldBe(-1);
        BinaryPrimitives.ReadInt64BigEndian(s.AsSpan(s.Length - 8)).ShouldBe(-1);
        DumpFiles.Identify(new MemoryByteSource("f", s)).ShouldBe(FileKind.Flattened);
    }

    [Fact]
    public void Records_in_any_order_reassemble_the_file_with_holes_as_zeros()
    {
        var file = new byte[10000];
        new Random(1).NextBytes(file);
        file.AsSpan(3000, 2500).Clear(); // becomes a hole
        using var flat = OpenFlat(Flatten(file, 700, shuffleSeed: 7));
        flat.Length.ShouldBe(file.Length);
        flat.EndMarkerOffset.ShouldBeGreaterThan(0);
        flat.TruncatedAt.ShouldBe(-1);
        var all = new byte[file.Length];
        flat.Read(0, all).ShouldBe(file.Length);
        all.ShouldBe(file);

        var part = new byte[1234];
        flat.Read(2999, part).ShouldBe(part.Length);
        part.ShouldBe(file[2999..(2999 + 1234)]);
        flat.Read(file.Length, part).ShouldBe(0);
        flat.Read(file.Length - 10, part).ShouldBe(10);
    }

    [Fact]
    public void A_later_record_overwrites_an_earlier_one()
    {
        var file = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var stream = Flatten(file, 100, extra: [(50, Enumerable.Repeat((byte)0xee, 100).ToArray()), (120, [1, 2, 3])]);
        using var flat = OpenFlat(stream);
        var expected = (byte[])file.Clone();
        expected.AsSpan(50, 100).Fill(0xee);
        expected[120] = 1;
        expected[121] = 2;
        expected[122] = 3;
        var all = new byte[300];
        flat.Read(0, all).ShouldBe(300);
        all.ShouldBe(expected);
    }

    [Fact]
    public void A_stream_cut_short_keeps_the_records_before_the_cut()
    {
        var file = Enumerable.Range(0, 1000).Select(i => (byte)(i | 1)).ToArray();
        var stream = Flatten(file, 100, endMarker: false);
        using (var flat = OpenFlat(stream))
        {
            flat.EndMarkerOffset.ShouldBe(-1);
            flat.TruncatedAt.ShouldBe(stream.Length);
            flat.Length.ShouldBe(1000);
        }

        // Cut inside the last record's data: its first 40 bytes remain.
        using (var flat = OpenFlat(stream[..^60]))
        {
            flat.Length.ShouldBe(940);
            flat.TruncatedAt.ShouldBe(stream.Length - 116);
        }

        // Cut inside a record header.
        using (var flat = OpenFlat(stream[..^110]))
        {
            flat.Length.ShouldBe(900);
        }
    }

    [Fact]
    public void Spans_are_handed_out_within_one_record_only()
    {
        var file = Enumerable.Range(0, 300).Select(i => (byte)(i + 1)).ToArray();
        using var flat = OpenFlat(Flatten(file, 100));
        flat.TryGetSpan(110, 50, out var span).ShouldBeTrue();
        span.ToArray().ShouldBe(file[110..160]);
        flat.TryGetSpan(90, 20, out _).ShouldBeFalse();
        flat.TryGetSpan(290, 20, out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData(16, 2L, "unsupported flattened header type 2")]
    [InlineData(24, 7L, "unsupported flattened header version 7")]
    [InlineData(4096, -5L, "invalid flattened record header: offset -5")]
    [InlineData(4104, -2L, "invalid flattened record header: offset 0, size -2")]
    [InlineData(4096, long.MaxValue, "invalid flattened record header")]
    public void Bad_headers_are_refused(int at, long value, string message)
    {
        var stream = Flatten([1, 2, 3, 4], 4);
        BinaryPrimitives.WriteInt64BigEndian(stream.AsSpan(at), value);
        var e = Should.Throw<DumpFormatException>(() => OpenFlat(stream));
        e.Message.ShouldContain(message);
        e.File.ShouldBe("flat");
    }

    [Fact]
    public void Too_many_records_are_refused()
    {
        var stream = Flatten(Enumerable.Repeat((byte)1, 100).ToArray(), 10);
        Should.Throw<DumpFormatException>(() => OpenFlat(stream, new ParseLimits { MaxFlattenedRecords = 5 }))
            .Message.ShouldContain("more than 5 flattened records");
    }

    [Fact]
    public void A_flattened_kdump_opens_by_content_even_with_records_out_of_order()
    {
        var b = new KdumpBuilder { SharedZeroPage = true }.WithPages(0, 3, 4, 60);
        b.Pages[5] = new byte[4096];
        b.Excluded.Add(6);
        var bytes = b.Build().Bytes;
        foreach (int? seed in new int?[] { null, 3 })
        {
            var stream = Flatten(bytes, 1000, seed);
            using var dump = (KdumpCompressedDump)DumpFiles.Open([new MemoryByteSource("flat.kdump", stream)], DumpOpenOptions.Default);
            dump.FormatName.ShouldBe("compressed kdump (zlib), flattened");
            foreach (var pfn in b.Pages.Keys)
            {
                KdumpReaderTests.ReadPage(dump, pfn).ShouldBe(b.Pages[pfn]);
            }

            dump.GetPageState(6).ShouldBe(PageState.Excluded);
            var described = KdumpReaderTests.Flatten(dump.Describe()).ToDictionary(x => x.Path, x => x.Value);
            described["makedumpfile header/signature"].ShouldBe("\"makedumpfile\"");
            int records = bytes.Chunk(1000).Count(c => c.Any(x => x != 0) || c.Length < 1000);
            described["makedumpfile header/num_array"].ShouldBe(records.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void A_flattened_split_set_opens()
    {
        var parts = new List<IByteSource>();
        foreach (var range in new (ulong, ulong)[] { (0, 30), (30, 64) })
        {
            var b = new KdumpBuilder { Split = range }.WithPages(1, 29, 30, 63);
            parts.Add(new MemoryByteSource($"part{range.Item1}", Flatten(b.Build().Bytes, 512, 9)));
        }

        using var dump = DumpFiles.Open(parts, DumpOpenOptions.Default);
        KdumpReaderTests.ReadPage(dump, 29).ShouldBe(KdumpBuilder.Pattern(29));
        KdumpReaderTests.ReadPage(dump, 30).ShouldBe(KdumpBuilder.Pattern(30));
    }

    [Fact]
    public void A_flattened_file_of_unknown_content_is_named_as_such()
    {
        var stream = Flatten(new byte[100].Select((_, i) => (byte)(i + 1)).ToArray(), 50);
        Should.Throw<DumpFormatException>(() => DumpFiles.Open([new MemoryByteSource("odd", stream)], DumpOpenOptions.Default))
            .Message.ShouldBe("odd: the flattened file holds no dump Kdx can read (unknown content)");
    }
}
