using CsCheck;
using Kdx.Core.Compression;

namespace Kdx.Tests.Compression;

public class Adler32Tests
{
    [Fact]
    public void Known_value()
    {
        // RFC 1950's checksum of "Wikipedia", the usual worked example.
        Adler32.Compute("Wikipedia"u8).ShouldBe(0x11E60398u);
        Adler32.Compute([]).ShouldBe(1u);
    }

    [Fact]
    public void All_ones_bytes_stress_the_lane_sums()
    {
        var data = SampleData.Filled(200_000, 0xFF);
        for (int length = 0; length <= data.Length; length += length < 100 ? 1 : 4999)
        {
            Adler32.Compute(data.AsSpan(0, length)).ShouldBe(Naive(data.AsSpan(0, length)), $"length {length}");
        }
    }

    [Fact]
    public void Property_matches_the_definition()
    {
        Gen.Byte.Array[0, 20000].Sample(data => Adler32.Compute(data).ShouldBe(Naive(data)), iter: 300);
    }

    /// <summary>RFC 1950 section 8, taken literally: A = 1 + Σ bytes, B = Σ A after each byte, both mod 65521.</summary>
    private static uint Naive(ReadOnlySpan<byte> data)
    {
        ulong a = 1;
        ulong b = 0;
        foreach (byte x in data)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }

        return (uint)((b << 16) | a);
    }
}
