using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kdx.Core.Compression;

/// <summary>The Adler-32 checksum that ends a zlib stream (RFC 1950, section 2.2 and 9).</summary>
internal static class Adler32
{
    private const uint Modulus = 65521;

    /// <summary>Most bytes summed before the sums must be reduced to stay within 32 bits (zlib's NMAX).</summary>
    private const int MaxRun = 5552;

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint a = 1;
        uint b = 0;
        ref byte p = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        while (i < length)
        {
            int end = i + Math.Min(MaxRun, length - i);
            for (; i + 4 <= end; i += 4)
            {
                a += Unsafe.Add(ref p, i);
                b += a;
                a += Unsafe.Add(ref p, i + 1);
                b += a;
                a += Unsafe.Add(ref p, i + 2);
                b += a;
                a += Unsafe.Add(ref p, i + 3);
                b += a;
            }

            for (; i < end; i++)
            {
                a += Unsafe.Add(ref p, i);
                b += a;
            }

            a %= Modulus;
            b %= Modulus;
        }

        return (b << 16) | a;
    }
}
