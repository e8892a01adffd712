using CsCheck;
using Kdx.Core.Compression;

namespace Kdx.Tests.Compression;

/// <summary>
/// Damaged pages through every codec: a status, never an exception, never a byte read or written
/// outside the spans (guard pages), and a truncated page is always a failure.
/// </summary>
public class PageCodecCorruptInputTests
{
    private static readonly PageCompression[] Codecs = [PageCompression.Zlib, PageCompression.Lzo, PageCompression.Snappy, PageCompression.Zstd];

    [Fact]
    public void Property_damaged_pages_fail_cleanly_inside_guard_pages()
    {
        // One thread: the guarded buffers and the codec are shared by the samples.
        using var input = new GuardedMemory(64 * 1024);
        using var output = new GuardedMemory(64 * 1024);
        using var codec = new PageCodec();
        Gen.Select(DamagedPage(), Gen.Int[0, 9000], Gen.Bool).Sample((damaged, room, atStart) =>
        {
            var source = input.AtEnd(damaged.Stream.Length);
            damaged.Stream.CopyTo(source);
            var destination = atStart ? output.AtStart(room) : output.AtEnd(room);
            bool ok = codec.TryDecompress(damaged.Kind, source, destination, out int written);
            written.ShouldBeInRange(0, room);
            if (damaged.Truncated)
            {
                ok.ShouldBeFalse($"{damaged.Kind} accepted a truncated page");
            }
        }, iter: 4000, threads: 1);
    }

    [Fact]
    public void Property_random_garbage_never_throws()
    {
        Gen.Select(Gen.Byte.Array[0, 3000], Gen.Int[0, 3]).Sample((garbage, which) =>
        {
            using var codec = new PageCodec();
            var output = new byte[8192];
            _ = codec.TryDecompress(Codecs[which], garbage, output, out int written);
            written.ShouldBeInRange(0, output.Length);
        }, iter: 2000);
    }

    [Theory]
    [InlineData(PageCompression.Zlib)]
    [InlineData(PageCompression.Lzo)]
    [InlineData(PageCompression.Snappy)]
    [InlineData(PageCompression.Zstd)]
    public void Every_truncation_of_a_page_fails(PageCompression kind)
    {
        using var codec = new PageCodec();
        var page = SampleData.SparseStructs(SampleData.PageSize, 4);
        var compressed = PageCodecTests.Compress(kind, page);
        var output = new byte[SampleData.PageSize];
        for (int cut = 0; cut < compressed.Length; cut++)
        {
            codec.TryDecompress(kind, compressed.AsSpan(0, cut), output, out _).ShouldBeFalse($"cut at {cut}");
        }
    }

    [Theory]
    [InlineData(PageCompression.Zlib)]
    [InlineData(PageCompression.Lzo)]
    [InlineData(PageCompression.Snappy)]
    [InlineData(PageCompression.Zstd)]
    public void Bytes_after_the_stream_make_the_page_fail(PageCompression kind)
    {
        using var codec = new PageCodec();
        var page = SampleData.PointerArray(SampleData.PageSize, 5);
        byte[] padded = [.. PageCodecTests.Compress(kind, page), 0x5A];
        codec.TryDecompress(kind, padded, new byte[SampleData.PageSize], out _).ShouldBeFalse();
    }

    [Fact]
    public void A_zlib_page_with_a_wrong_checksum_fails()
    {
        using var codec = new PageCodec();
        var page = SampleData.Text(SampleData.PageSize, 6);
        var compressed = PageCodecTests.Compress(PageCompression.Zlib, page);
        compressed[^1] ^= 1;
        codec.TryDecompress(PageCompression.Zlib, compressed, new byte[SampleData.PageSize], out _).ShouldBeFalse();
    }

    [Fact]
    public void A_zlib_page_asking_for_a_preset_dictionary_fails()
    {
        // FDICT (bit 5 of FLG) set, header check bits fixed up: zlib's inflate answers Z_NEED_DICT.
        using var codec = new PageCodec();
        var compressed = PageCodecTests.Compress(PageCompression.Zlib, SampleData.Text(SampleData.PageSize, 7));
        compressed[1] = (byte)((compressed[1] | 0x20) & ~0x1F);
        compressed[1] += (byte)(31 - (((compressed[0] << 8) | compressed[1]) % 31));
        codec.TryDecompress(PageCompression.Zlib, compressed, new byte[SampleData.PageSize], out _).ShouldBeFalse();
    }

    [Fact]
    public void A_snappy_block_that_declares_more_than_the_room_fails_before_decoding()
    {
        using var codec = new PageCodec();
        byte[] block = [0x81, 0x20, 0x00]; // varint 4097
        codec.TryDecompress(PageCompression.Snappy, block, new byte[4096], out int written).ShouldBeFalse();
        written.ShouldBe(0);
        byte[] overlong = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]; // varint past 32 bits
        codec.TryDecompress(PageCompression.Snappy, overlong, new byte[4096], out _).ShouldBeFalse();
    }

    private static Gen<(PageCompression Kind, byte[] Stream, bool Truncated)> DamagedPage() =>
        Gen.Select(
            Gen.OneOf(Lzo1xDifferentialTests.ArbitraryBytes(), Lzo1xDifferentialTests.RepetitiveBytes()),
            Gen.Int[0, 3],
            Gen.Int[0, 4],
            Gen.Int[0, int.MaxValue],
            Gen.Byte)
        .Select((data, which, damage, where, value) =>
        {
            var kind = Codecs[which];
            using var codec = new PageCodec();
            var buffer = new byte[PageCodec.MaxCompressedSize(kind, data.Length)];
            int size = codec.Compress(kind, data, buffer);
            var stream = size > 0 ? buffer[..size] : buffer[..Math.Min(buffer.Length, 64)];
            if (stream.Length == 0)
            {
                return (kind, stream, false);
            }

            int at = where % stream.Length;
            switch (damage)
            {
                case 0:
                    stream[at] ^= (byte)(value | 1);
                    return (kind, stream, false);
                case 1:
                    return (kind, stream[..at], size > 0);
                case 2:
                    return (kind, [.. stream[..at], value, .. stream[at..]], false);
                case 3:
                    stream[at] = value;
                    stream[(at * 7 + 1) % stream.Length] ^= 0x40;
                    return (kind, stream, false);
                default:
                    return (kind, [.. stream[..at], .. stream[(at + 1)..]], false);
            }
        });
}
