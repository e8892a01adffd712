using CsCheck;
using Kdx.Core.Compression;

namespace Kdx.Tests.Compression;

/// <summary>The managed LZO1X against the real liblzo2, in both directions.</summary>
public class Lzo1xDifferentialTests
{
    public static TheoryData<string> SampleNames() => [.. SampleData.Pages().Select(s => s.Name)];

    private static byte[] Sample(string name) => SampleData.Page(name);

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Liblzo_1_compressed_streams_decompress_to_the_input(string name)
    {
        var data = Sample(name);
        AssertDecompresses(LibLzo2.Compress1(data), data);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Liblzo_999_compressed_streams_decompress_to_the_input(string name)
    {
        var data = Sample(name);
        if (data.Length > 256 * 1024)
        {
            data = data[..(256 * 1024)]; // lzo1x_999 is slow; its instruction mix shows in any prefix
        }

        AssertDecompresses(LibLzo2.Compress999(data), data);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Kdx_compressed_streams_are_accepted_by_liblzo(string name)
    {
        var data = Sample(name);
        var compressed = KdxCompress(data);
        AssertLiblzoDecompresses(compressed, data);
        AssertDecompresses(compressed, data);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Kdx_ratio_is_close_to_lzo1x_1(string name)
    {
        // Not byte-identical to lzo1x_1_compress, but never much larger: a regression guard on the
        // match finder. 3% + 16 bytes slack over liblzo's own LZO1X-1.
        var data = Sample(name);
        int kdx = KdxCompress(data).Length;
        int liblzo = LibLzo2.Compress1(data).Length;
        kdx.ShouldBeLessThanOrEqualTo((liblzo * 103 / 100) + 16, $"{name}: kdx {kdx}, lzo1x_1 {liblzo}");
    }

    [Fact]
    public void Every_length_up_to_a_page_and_many_up_to_three_round_trip_both_ways()
    {
        var mixed = SampleData.Mixed(3 * SampleData.PageSize + 1, 11);
        var zeros = new byte[mixed.Length];
        var text = SampleData.Text(mixed.Length, 12);
        for (int length = 0; length <= mixed.Length; length += length <= SampleData.PageSize + 64 ? 1 : 29)
        {
            foreach (var source in length % 5 == 0 ? new[] { mixed, zeros, text } : [mixed])
            {
                var data = source.AsSpan(0, length);
                AssertDecompresses(LibLzo2.Compress1(data), data);
                var compressed = KdxCompress(data);
                AssertLiblzoDecompresses(compressed, data);
            }
        }
    }

    [Fact]
    public void Lzo1x_999_streams_of_many_lengths_decompress()
    {
        var mixed = SampleData.Mixed(3 * SampleData.PageSize, 13);
        for (int length = 0; length <= mixed.Length; length += length < 64 ? 1 : 61)
        {
            var data = mixed.AsSpan(0, length);
            AssertDecompresses(LibLzo2.Compress999(data), data);
        }
    }

    [Fact]
    public void Empty_input_compresses_to_the_bare_end_marker()
    {
        var compressed = KdxCompress([]);
        compressed.ShouldBe(LibLzo2.Compress1([]));
        compressed.ShouldBe(new byte[] { 0x11, 0, 0 });
    }

    [Fact]
    public void Compressed_size_stays_within_the_documented_bound()
    {
        Gen.Int[0, 20000].SelectMany(n => Gen.Byte.Array[n]).Sample(data =>
        {
            var output = new byte[Lzo1x.MaxCompressedSize(data.Length)];
            Lzo1x.Compress(data, output).ShouldBeGreaterThan(0);
        }, iter: 200);
    }

    [Fact]
    public void Property_random_and_repetitive_inputs_round_trip_through_liblzo_both_ways()
    {
        Gen.OneOf(ArbitraryBytes(), RepetitiveBytes()).Sample(data =>
        {
            AssertDecompresses(LibLzo2.Compress1(data), data);
            var compressed = KdxCompress(data);
            AssertLiblzoDecompresses(compressed, data);
            AssertDecompresses(compressed, data);
        }, iter: 500);
    }

    [Fact]
    public void Property_lzo1x_999_streams_decompress()
    {
        Gen.OneOf(ArbitraryBytes(), RepetitiveBytes()).Sample(data =>
            AssertDecompresses(LibLzo2.Compress999(data), data), iter: 200);
    }

    [Fact]
    public void Compress_reports_minus_one_when_the_output_does_not_fit_and_never_writes_past_it()
    {
        Gen.OneOf(ArbitraryBytes(), RepetitiveBytes()).Select(Gen.Int[0, 100]).Sample((data, percent) =>
        {
            int full = KdxCompress(data).Length;
            int room = full * percent / 100;
            var output = new byte[room + 16];
            output.AsSpan(room).Fill(0xA5);
            int written = Lzo1x.Compress(data, output.AsSpan(0, room));
            if (room >= full)
            {
                written.ShouldBe(full);
            }
            else
            {
                written.ShouldBe(-1);
            }

            output.AsSpan(room).ToArray().ShouldAllBe(b => b == 0xA5);
        }, iter: 300);
    }

    internal static Gen<byte[]> ArbitraryBytes() => Gen.Byte.Array[0, 9000];

    /// <summary>Runs and repeats of short random pieces: long matches, overlapping copies, all distances.</summary>
    internal static Gen<byte[]> RepetitiveBytes() =>
        Gen.Select(Gen.Byte.Array[1, 40], Gen.Int[1, 300].Array[1, 60], Gen.Int[0, 70000])
            .Select((piece, repeats, far) =>
            {
                var output = new List<byte>();
                foreach (int r in repeats)
                {
                    if (r % 5 == 0 && output.Count > 10)
                    {
                        // Re-copy an earlier stretch, sometimes from far back.
                        int from = Math.Max(0, output.Count - 1 - (far % output.Count));
                        int size = Math.Min(r * 3, output.Count - from);
                        output.AddRange(output.GetRange(from, size));
                    }
                    else
                    {
                        for (int k = 0; k < r % 40; k++)
                        {
                            output.AddRange(piece.AsSpan(0, 1 + (r % piece.Length)));
                        }
                    }
                }

                return output.ToArray();
            });

    internal static byte[] KdxCompress(ReadOnlySpan<byte> data)
    {
        var output = new byte[Lzo1x.MaxCompressedSize(data.Length)];
        int written = Lzo1x.Compress(data, output);
        written.ShouldBeGreaterThan(0);
        return output[..written];
    }

    internal static void AssertDecompresses(ReadOnlySpan<byte> compressed, ReadOnlySpan<byte> expected)
    {
        // Exact room, and generous room: both must give the input back.
        var exact = new byte[expected.Length];
        Lzo1x.Decompress(compressed, exact, out int written).ShouldBe(LzoStatus.Ok);
        written.ShouldBe(expected.Length);
        exact.AsSpan().SequenceEqual(expected).ShouldBeTrue();

        var roomy = new byte[expected.Length + 100];
        Lzo1x.Decompress(compressed, roomy, out written).ShouldBe(LzoStatus.Ok);
        written.ShouldBe(expected.Length);
        roomy.AsSpan(0, written).SequenceEqual(expected).ShouldBeTrue();
    }

    private static void AssertLiblzoDecompresses(ReadOnlySpan<byte> compressed, ReadOnlySpan<byte> expected)
    {
        var output = new byte[expected.Length];
        LibLzo2.Decompress(compressed, output, out int written).ShouldBe(LzoStatus.Ok);
        written.ShouldBe(expected.Length);
        output.AsSpan().SequenceEqual(expected).ShouldBeTrue();
    }
}
