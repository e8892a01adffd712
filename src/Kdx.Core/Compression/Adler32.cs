using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kdx.Core.Compression;

/// <summary>The Adler-32 checksum that ends a zlib stream (RFC 1950, sections 2.2 and 9).</summary>
internal static class Adler32
{
    private const uint Modulus = 65521;

    /// <summary>Most bytes summed before the sums must be reduced to stay within 32 bits (zlib's NMAX), in whole 16-byte chunks.</summary>
    private const int MaxRun = 5552 / 16 * 16;

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint a = 1;
        uint b = 0;
        ref byte p = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            while (length - i >= 16)
            {
                int chunks = Math.Min(MaxRun, length - i) / 16;
                SumChunks(ref Unsafe.Add(ref p, i), chunks, ref a, ref b);
                i += chunks * 16;
            }
        }

        while (i < length)
        {
            int end = i + Math.Min(MaxRun, length - i);
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

    /// <summary>
    /// Adds <paramref name="chunks"/> 16-byte chunks. Per chunk: a grows by the byte sum S, and b by
    /// 16·a (a before the chunk) plus the sum of (16 - i)·x[i]. So lanes keep the byte sums, the
    /// weighted sums, and the running byte sums before each chunk; lanes are added up once at the end.
    /// </summary>
    private static void SumChunks(ref byte p, int chunks, ref uint a, ref uint b)
    {
        var weightsLow = Vector128.Create((ushort)16, 15, 14, 13, 12, 11, 10, 9);
        var weightsHigh = Vector128.Create((ushort)8, 7, 6, 5, 4, 3, 2, 1);
        var sums = Vector128<uint>.Zero;
        var weighted = Vector128<uint>.Zero;
        var before = Vector128<uint>.Zero;
        for (int k = 0; k < chunks; k++)
        {
            var bytes = Vector128.LoadUnsafe(ref p, (nuint)(k * 16));
            var (low, high) = Vector128.Widen(bytes);
            before += sums;
            var (s0, s1) = Vector128.Widen(low + high);
            sums += s0 + s1;
            var (w0, w1) = Vector128.Widen(low * weightsLow);
            var (w2, w3) = Vector128.Widen(high * weightsHigh);
            weighted += w0 + w1 + w2 + w3;
        }

        ulong sumA = Vector128.Sum(sums);
        ulong sumB = b + (16UL * (ulong)chunks * a) + (16UL * Vector128.Sum(before)) + Vector128.Sum(weighted);
        a = (uint)((a + sumA) % Modulus);
        b = (uint)(sumB % Modulus);
    }
}
