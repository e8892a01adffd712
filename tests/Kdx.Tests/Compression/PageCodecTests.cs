using CsCheck;
using Kdx.Core.Compression;

namespace Kdx.Tests.Compression;

/// <summary>The page codec facade: every codec round-trips, and reads and writes what makedumpfile's libraries do.</summary>
public sealed class PageCodecTests : IDisposable
{
    private static readonly PageCompression[] Codecs = [PageCompression.Zlib, PageCompression.Lzo, PageCompression.Snappy, PageCompression.Zstd];

    private readonly PageCodec _codec = new();

    public static TheoryData<PageCompression, string> CodecsAndSamples()
    {
        var data = new TheoryData<PageCompression, string>();
        foreach (var kind in Codecs)
        {
            foreach (var (name, _) in SampleData.Pages())
            {
                data.Add(kind, name);
            }
        }

        return data;
    }

    public void Dispose() => _codec.Dispose();

    [Theory]
    [MemberData(nameof(CodecsAndSamples))]
    public void Every_codec_round_trips_every_sample(PageCompression kind, string name)
    {
        var data = SampleData.Page(name);
        var compressed = new byte[PageCodec.MaxCompressedSize(kind, data.Length)];
        int size = _codec.Compress(kind, data, compressed);
        if (size < 0)
        {
            // Only when the codec really cannot make it smaller (random bytes, far repeats).
            CompressRaw(kind, data).ShouldBeGreaterThanOrEqualTo(data.Length, "not smaller, so stored raw");
            return;
        }

        size.ShouldBeInRange(1, data.Length - 1);
        var output = new byte[data.Length];
        _codec.TryDecompress(kind, compressed.AsSpan(0, size), output, out int written).ShouldBeTrue();
        written.ShouldBe(data.Length);
        output.AsSpan().SequenceEqual(data).ShouldBeTrue();
    }

    [Fact]
    public void Property_every_codec_round_trips_what_it_compresses()
    {
        Gen.Select(Gen.OneOf(Lzo1xDifferentialTests.ArbitraryBytes(), Lzo1xDifferentialTests.RepetitiveBytes()), Gen.Int[0, 3])
            .Sample((data, which) =>
            {
                // CsCheck samples on several threads; a codec belongs to one thread at a time.
                using var codec = new PageCodec();
                var kind = Codecs[which];
                var compressed = new byte[PageCodec.MaxCompressedSize(kind, data.Length)];
                int size = codec.Compress(kind, data, compressed);
                if (size < 0)
                {
                    return; // not smaller: makedumpfile would store it raw
                }

                size.ShouldBeLessThan(data.Length);
                var output = new byte[data.Length];
                codec.TryDecompress(kind, compressed.AsSpan(0, size), output, out int written).ShouldBeTrue();
                written.ShouldBe(data.Length);
                output.AsSpan().SequenceEqual(data).ShouldBeTrue();
            }, iter: 400);
    }

    [Fact]
    public void None_copies_on_read_and_never_compresses()
    {
        var data = SampleData.Text(100, 1);
        var output = new byte[100];
        _codec.TryDecompress(PageCompression.None, data, output, out int written).ShouldBeTrue();
        written.ShouldBe(100);
        output.ShouldBe(data);
        _codec.TryDecompress(PageCompression.None, data, new byte[99], out written).ShouldBeFalse();
        written.ShouldBe(99);
        _codec.Compress(PageCompression.None, data, new byte[200]).ShouldBe(-1);
        PageCodec.MaxCompressedSize(PageCompression.None, 100).ShouldBe(100);
    }

    [Theory]
    [InlineData(PageCompression.Zlib)]
    [InlineData(PageCompression.Lzo)]
    [InlineData(PageCompression.Snappy)]
    [InlineData(PageCompression.Zstd)]
    public void A_page_that_does_not_fit_the_destination_fails(PageCompression kind)
    {
        var page = SampleData.PageTable(SampleData.PageSize, 1);
        var compressed = Compress(kind, page);
        _codec.TryDecompress(kind, compressed, new byte[SampleData.PageSize - 1], out int written).ShouldBeFalse();
        written.ShouldBeLessThan(SampleData.PageSize);
        _codec.TryDecompress(kind, compressed, new byte[SampleData.PageSize], out written).ShouldBeTrue();
    }

    [Theory]
    [InlineData(PageCompression.Zlib)]
    [InlineData(PageCompression.Lzo)]
    [InlineData(PageCompression.Snappy)]
    [InlineData(PageCompression.Zstd)]
    public void Compress_returns_minus_one_when_the_destination_is_too_small(PageCompression kind)
    {
        var page = SampleData.Text(SampleData.PageSize, 2);
        int full = Compress(kind, page).Length;
        _codec.Compress(kind, page, new byte[full - 1]).ShouldBe(-1);

        // zstd needs a few bytes of slack past its output while it works; the others fit exactly.
        int slack = kind == PageCompression.Zstd ? 8 : 0;
        _codec.Compress(kind, page, new byte[full + slack]).ShouldBe(full);
    }

    [Theory]
    [InlineData(PageCompression.Zlib)]
    [InlineData(PageCompression.Lzo)]
    [InlineData(PageCompression.Snappy)]
    [InlineData(PageCompression.Zstd)]
    public void Max_compressed_size_holds_incompressible_input(PageCompression kind)
    {
        Gen.Int[0, 70000].SelectMany(n => Gen.Byte.Array[n]).Sample(data =>
        {
            var output = new byte[PageCodec.MaxCompressedSize(kind, data.Length)];
            int written = kind switch
            {
                PageCompression.Zlib => CompressZlib(data, output),
                PageCompression.Lzo => Lzo1x.Compress(data, output),
                PageCompression.Snappy => new SnappyCodec().Compress(data, output),
                _ => CompressZstd(data, output),
            };
            written.ShouldBeGreaterThanOrEqualTo(0);
        }, iter: 40);
    }

    [Fact]
    public void Zlib_reads_what_zlib_compress2_writes_and_zlib_uncompress_reads_what_it_writes()
    {
        foreach (var (name, data) in SampleData.Pages())
        {
            var output = new byte[data.Length];
            _codec.TryDecompress(PageCompression.Zlib, ReferenceCodecs.ZlibCompress(data), output, out int written).ShouldBeTrue(name);
            written.ShouldBe(data.Length);
            output.AsSpan().SequenceEqual(data).ShouldBeTrue(name);

            var ours = new byte[PageCodec.MaxCompressedSize(PageCompression.Zlib, data.Length)];
            int size = CompressZlib(data, ours);
            ours[0].ShouldBe((byte)0x78, "a zlib header: deflate, 32 KiB window");
            ReferenceCodecs.ZlibUncompress(ours.AsSpan(0, size), output, out written).ShouldBe(0, name);
            written.ShouldBe(data.Length);
            output.AsSpan().SequenceEqual(data).ShouldBeTrue(name);
        }
    }

    [Fact]
    public void Zstd_reads_what_libzstd_writes_and_libzstd_reads_what_it_writes()
    {
        foreach (var (name, data) in SampleData.Pages())
        {
            var output = new byte[data.Length];
            _codec.TryDecompress(PageCompression.Zstd, ReferenceCodecs.ZstdCompress(data), output, out int written).ShouldBeTrue(name);
            written.ShouldBe(data.Length);
            output.AsSpan().SequenceEqual(data).ShouldBeTrue(name);

            var ours = new byte[PageCodec.MaxCompressedSize(PageCompression.Zstd, data.Length)];
            int size = CompressZstd(data, ours);
            ReferenceCodecs.ZstdDecompress(ours.AsSpan(0, size), output).ShouldBe(data.Length, name);
            output.AsSpan().SequenceEqual(data).ShouldBeTrue(name);
        }
    }

    [Fact]
    public void Snappy_is_the_raw_block_format()
    {
        // Varint 11, a 5-byte literal, then a copy with a 1-byte offset: length 6, offset 5.
        byte[] block = [11, (5 - 1) << 2, .. "hello"u8, ((6 - 4) << 2) | 1, 5];
        var output = new byte[11];
        _codec.TryDecompress(PageCompression.Snappy, block, output, out int written).ShouldBeTrue();
        written.ShouldBe(11);
        output.ShouldBe("hellohelloh"u8.ToArray());

        // A literal whose length (300) needs two more bytes: tag 61.
        var text = SampleData.Text(300, 8);
        byte[] longLiteral = [0xAC, 0x02, 61 << 2, 0x2B, 0x01, .. text];
        var room = new byte[300];
        _codec.TryDecompress(PageCompression.Snappy, longLiteral, room, out written).ShouldBeTrue();
        room.ShouldBe(text);
        _codec.TryDecompress(PageCompression.Snappy, [.. longLiteral, 0], room, out _).ShouldBeFalse("a byte after the last element");

        // And what it writes starts with that varint, not the framed format's stream identifier.
        var compressed = Compress(PageCompression.Snappy, new byte[SampleData.PageSize]);
        compressed[..2].ShouldBe(new byte[] { 0x80, 0x20 }, "4096 as a varint");
    }

    [Fact]
    public void Hot_paths_allocate_nothing_for_lzo_and_zstd_and_little_for_snappy_and_zlib()
    {
        var page = SampleData.SparseStructs(SampleData.PageSize, 3);
        var output = new byte[SampleData.PageSize];
        var buffer = new byte[PageCodec.MaxCompressedSize(PageCompression.Zlib, page.Length) + 64];
        foreach (var kind in Codecs)
        {
            var compressed = Compress(kind, page);
            for (int warm = 0; warm < 3; warm++)
            {
                _codec.TryDecompress(kind, compressed, output, out _);
                _codec.Compress(kind, page, buffer);
            }

            // The least of three rounds: a codec that allocates per call does so in every round, while the
            // runtime now and then allocates on the thread for itself when the whole suite runs.
            int failures = 0;
            long allocated = long.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 20; i++)
                {
                    failures += _codec.TryDecompress(kind, compressed, output, out _) ? 0 : 1;
                    failures += _codec.Compress(kind, page, buffer) > 0 ? 0 : 1;
                }

                allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            failures.ShouldBe(0);

            // Snappier and ZLibStream allocate a few small objects per call (measured: under 300 bytes).
            long limit = kind is PageCompression.Lzo or PageCompression.Zstd ? 0 : 20 * 2 * 512;
            allocated.ShouldBeLessThanOrEqualTo(limit, kind.ToString());
        }
    }

    [Fact]
    public void A_disposed_codec_refuses_work()
    {
        var codec = new PageCodec();
        codec.Dispose();
        Should.Throw<ObjectDisposedException>(() => codec.TryDecompress(PageCompression.Zstd, [1], new byte[8], out _));
        Should.Throw<ObjectDisposedException>(() => codec.Compress(PageCompression.Zstd, [1], new byte[8]));
    }

    [Fact]
    public void An_undefined_kind_is_a_caller_error()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => _codec.TryDecompress((PageCompression)99, [1], new byte[8], out _));
        Should.Throw<ArgumentOutOfRangeException>(() => _codec.Compress((PageCompression)99, [1], new byte[8]));
        Should.Throw<ArgumentOutOfRangeException>(() => PageCodec.MaxCompressedSize((PageCompression)99, 1));
    }

    [Theory]
    [InlineData(0u, PageCompression.None)]
    [InlineData(0x1u, PageCompression.Zlib)]
    [InlineData(0x2u, PageCompression.Lzo)]
    [InlineData(0x4u, PageCompression.Snappy)]
    [InlineData(0x20u, PageCompression.Zstd)]
    [InlineData(0x8u, PageCompression.None)]   // DUMP_DH_COMPRESSED_INCOMPLETE is no codec
    [InlineData(0x3u, PageCompression.Zlib)]   // makedumpfile tests zlib first
    [InlineData(0x26u, PageCompression.Lzo)]
    [InlineData(0x24u, PageCompression.Snappy)]
    public void Disk_dump_flags_name_the_codec_as_makedumpfile_reads_them(uint flags, PageCompression kind)
    {
        DiskDumpCompression.FromFlags(flags).ShouldBe(kind);
        if ((flags & (flags - 1)) == 0 && kind != PageCompression.None)
        {
            DiskDumpCompression.ToFlags(kind).ShouldBe(flags);
        }
    }

    [Fact]
    public void Flags_round_trip_for_every_codec()
    {
        foreach (var kind in Enum.GetValues<PageCompression>())
        {
            DiskDumpCompression.FromFlags(DiskDumpCompression.ToFlags(kind)).ShouldBe(kind);
        }

        Should.Throw<ArgumentOutOfRangeException>(() => DiskDumpCompression.ToFlags((PageCompression)99));
    }

    internal static byte[] Compress(PageCompression kind, byte[] data)
    {
        using var codec = new PageCodec();
        var output = new byte[PageCodec.MaxCompressedSize(kind, data.Length)];
        int size = codec.Compress(kind, data, output);
        size.ShouldBeGreaterThan(0);
        return output[..size];
    }

    /// <summary>The codec's own output size, before the facade's "must be smaller" rule.</summary>
    private static int CompressRaw(PageCompression kind, byte[] data)
    {
        var output = new byte[PageCodec.MaxCompressedSize(kind, data.Length)];
        int size = kind switch
        {
            PageCompression.Zlib => CompressZlib(data, output),
            PageCompression.Lzo => Lzo1x.Compress(data, output),
            PageCompression.Snappy => new SnappyCodec().Compress(data, output),
            _ => CompressZstd(data, output),
        };
        size.ShouldBeGreaterThan(0);
        return size;
    }

    private static int CompressZlib(ReadOnlySpan<byte> data, Span<byte> output)
    {
        using var zlib = new ZlibCodec();
        return zlib.Compress(data, output);
    }

    private static int CompressZstd(ReadOnlySpan<byte> data, Span<byte> output)
    {
        using var zstd = new ZstdCodec();
        return zstd.Compress(data, output);
    }
}
