using System.Text;
using CsCheck;
using Kdx.Core.Compression;

namespace Kdx.Tests.Compression;

/// <summary>
/// Hand-built LZO1X streams for each instruction, and bad streams: every one must give liblzo2's
/// status and output length, without throwing or touching memory outside the spans.
/// </summary>
public class Lzo1xCorruptInputTests
{
    public static TheoryData<string, byte[], int, LzoStatus, byte[]> HandBuilt()
    {
        var literals = Enumerable.Range(0, 2052).Select(i => (byte)(i * 7 + 1)).ToArray();
        var longRun = new List<byte> { 0x00, 0, 0, 0, 0, 0, 0, 0, 249 }; // 18 + 7·255 + 249 = 2052 literals
        longRun.AddRange(literals);
        longRun.AddRange([0x00, 0x00, 0x11, 0, 0]);                      // state 4: 3 bytes from 2049 back
        byte[] longRunExpected = [.. literals, .. literals.AsSpan(3, 3)];

        return new()
        {
            { "end marker alone", [0x11, 0, 0], 16, LzoStatus.Ok, [] },
            { "empty input", [], 16, LzoStatus.InputOverrun, [] },
            { "bytes after the end marker", [0x11, 0, 0, 0], 16, LzoStatus.InputNotConsumed, [] },
            { "first byte literal run", [21, .. "abcd"u8, 0x11, 0, 0], 16, LzoStatus.Ok, "abcd"u8.ToArray() },
            { "first byte literal run, no room", [21, .. "abcd"u8, 0x11, 0, 0], 3, LzoStatus.OutputOverrun, [] },
            { "end marker cut short", [21, .. "abcd"u8, 0x11, 0], 16, LzoStatus.InputOverrun, [] },
            { "01LDDDSS match, distance 1 (overlapping)", [18, (byte)'a', 0x40, 0x00, 0x11, 0, 0], 16, LzoStatus.Ok, "aaaa"u8.ToArray() },
            { "01LDDDSS match before the start", [18, (byte)'a', 0x44, 0x00, 0x11, 0, 0], 16, LzoStatus.LookbehindOverrun, "a"u8.ToArray() },
            { "2-byte match after 2 literals", [19, .. "ab"u8, 0x04, 0x00, 0x11, 0, 0], 16, LzoStatus.Ok, "abab"u8.ToArray() },
            { "2-byte match with 1 trailing literal", [19, .. "ab"u8, 0x05, 0x00, (byte)'z', 0x11, 0, 0], 16, LzoStatus.Ok, "ababz"u8.ToArray() },
            { "3-byte match 2049 back after a long literal run", [.. longRun], 4096, LzoStatus.Ok, longRunExpected },
            { "001LLLLL match with extended length", [18, (byte)'a', 0x20, 0x00, 0x05, 0x00, 0x00, 0x11, 0, 0], 400, LzoStatus.Ok, Repeat('a', 294) },
            { "001LLLLL extended length, no room", [18, (byte)'a', 0x20, 0x00, 0x05, 0x00, 0x00, 0x11, 0, 0], 100, LzoStatus.OutputOverrun, "a"u8.ToArray() },
            { "001LLLLL extended length cut in the zeros", [18, (byte)'a', 0x20, 0x00, 0x00, 0x00], 400, LzoStatus.InputOverrun, "a"u8.ToArray() },
            { "0001HLLL far match before the start", [18, (byte)'a', 0x1B, 0x90, 0x01, 0x11, 0, 0], 400, LzoStatus.LookbehindOverrun, "a"u8.ToArray() },
            { "0001HLLL end marker with a length and SS bits", [18, (byte)'a', 0x17, 0x03, 0x00], 400, LzoStatus.Ok, "a"u8.ToArray() },
            { "literal run instruction 0000LLLL", [0x01, .. "abcd"u8, 0x11, 0, 0], 16, LzoStatus.Ok, "abcd"u8.ToArray() },
            { "literal run without 3 bytes after it", [0x01, .. "abcd"u8, 0x11, 0], 16, LzoStatus.InputOverrun, [] },
            { "lzo-rle version byte: a far match in plain LZO1X", [0x11, 0x01, 0x11, 0, 0], 16, LzoStatus.LookbehindOverrun, [] },
        };
    }

    [Theory]
    [MemberData(nameof(HandBuilt))]
    public void Hand_built_streams_decode_as_liblzo_decodes_them(string name, byte[] stream, int room, LzoStatus status, byte[] expected)
    {
        var kdx = new byte[room];
        Lzo1x.Decompress(stream, kdx, out int written).ShouldBe(status, name);
        written.ShouldBe(expected.Length, name);
        kdx.AsSpan(0, written).ToArray().ShouldBe(expected, name);

        var reference = new byte[room];
        LibLzo2.Decompress(stream, reference, out int referenceWritten).ShouldBe(status, $"liblzo2 on {name}");
        referenceWritten.ShouldBe(written);
        reference.AsSpan(0, written).ToArray().ShouldBe(expected);
    }

    [Fact]
    public void Property_damaged_streams_give_liblzo_status_length_and_bytes()
    {
        Gen.Select(DamagedStream(), Gen.Int[0, 3], Gen.Int[0, 20000]).Sample((damaged, roomKind, randomRoom) =>
        {
            var (stream, originalLength) = damaged;
            int room = roomKind switch
            {
                0 => originalLength,
                1 => originalLength + 64,
                2 => Math.Max(0, originalLength - 1),
                _ => randomRoom,
            };
            var expected = new byte[room];
            var expectedStatus = LibLzo2.Decompress(stream, expected, out int expectedWritten);

            var actual = new byte[room];
            Lzo1x.Decompress(stream, actual, out int written).ShouldBe(expectedStatus);
            written.ShouldBe(expectedWritten);
            actual.AsSpan(0, written).SequenceEqual(expected.AsSpan(0, written)).ShouldBeTrue();
        }, iter: 3000);
    }

    [Fact]
    public void Property_damaged_streams_never_touch_memory_outside_the_spans()
    {
        using var input = new GuardedMemory(64 * 1024);
        using var output = new GuardedMemory(64 * 1024);
        Gen.Select(DamagedStream(), Gen.Int[0, 20000], Gen.Bool).Sample((damaged, room, atStart) =>
        {
            var source = input.AtEnd(damaged.Stream.Length);
            damaged.Stream.CopyTo(source);
            var destination = atStart ? output.AtStart(room) : output.AtEnd(room);
            _ = Lzo1x.Decompress(source, destination, out int written);
            written.ShouldBeInRange(0, room);
        }, iter: 3000);
    }

    [Fact]
    public void Random_garbage_gives_liblzo_status()
    {
        Gen.Byte.Array[0, 5000].Sample(garbage =>
        {
            var output = new byte[8192];
            var status = Lzo1x.Decompress(garbage, output, out _);
            status.ShouldBe(LibLzo2.Decompress(garbage, new byte[8192], out _));
        }, iter: 2000);
    }

    [Fact]
    public void Every_truncation_of_a_page_stream_is_an_input_overrun()
    {
        var page = SampleData.Mixed(SampleData.PageSize, 21);
        var stream = LibLzo2.Compress1(page);
        var output = new byte[SampleData.PageSize];
        for (int cut = 0; cut < stream.Length; cut++)
        {
            Lzo1x.Decompress(stream.AsSpan(0, cut), output, out _).ShouldBe(LzoStatus.InputOverrun, $"cut at {cut}");
        }
    }

    /// <summary>A valid liblzo2 stream with one kind of damage, and the length it decoded to before.</summary>
    private static Gen<(byte[] Stream, int OriginalLength)> DamagedStream() =>
        Gen.Select(
            Gen.OneOf(Lzo1xDifferentialTests.ArbitraryBytes(), Lzo1xDifferentialTests.RepetitiveBytes()),
            Gen.Bool,
            Gen.Int[0, 6],
            Gen.Int[0, int.MaxValue],
            Gen.Byte)
        .Select((data, best, damage, where, value) =>
        {
            var stream = best && data.Length < 4000 ? LibLzo2.Compress999(data) : LibLzo2.Compress1(data);
            int at = where % stream.Length;
            var damaged = new List<byte>(stream);
            switch (damage)
            {
                case 0: damaged[at] ^= (byte)(value | 1); break;
                case 1: damaged.RemoveRange(at, damaged.Count - at); break;
                case 2: damaged.Insert(at, value); break;
                case 3: damaged.RemoveAt(at); break;
                case 4: damaged[at] = 0; break;
                case 5: damaged.Add(value); break;
                default:
                    damaged[at] ^= (byte)(value | 1);
                    damaged[(at * 7 + 3) % damaged.Count] ^= 0x80;
                    break;
            }

            return (damaged.ToArray(), data.Length);
        });

    private static byte[] Repeat(char c, int count) => Encoding.ASCII.GetBytes(new string(c, count));
}
