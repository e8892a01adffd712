using System.Runtime.InteropServices;

namespace Kdx.Tests.Compression;

/// <summary>
/// The C libraries makedumpfile links (zlib1g, libzstd1: both in the base image), called as
/// makedumpfile calls them, to check that Kdx reads what they write and the other way round.
/// Test-only: Kdx itself uses System.IO.Compression and ZstdSharp.
/// </summary>
internal static unsafe partial class ReferenceCodecs
{
    // zlib.h: compress2(dest, &destLen, source, sourceLen, level), uncompress(dest, &destLen, source, sourceLen); uLong is 64-bit here.
    [LibraryImport("libz.so.1", EntryPoint = "compress2")]
    private static partial int ZlibCompress2(byte* dest, ref nuint destLen, byte* source, nuint sourceLen, int level);

    [LibraryImport("libz.so.1", EntryPoint = "uncompress")]
    private static partial int ZlibUncompress(byte* dest, ref nuint destLen, byte* source, nuint sourceLen);

    // zstd.h: ZSTD_compress(dst, dstCapacity, src, srcSize, level), ZSTD_decompress(dst, dstCapacity, src, compressedSize).
    [LibraryImport("libzstd.so.1", EntryPoint = "ZSTD_compress")]
    private static partial nuint ZstdCompress(byte* dst, nuint dstCapacity, byte* src, nuint srcSize, int level);

    [LibraryImport("libzstd.so.1", EntryPoint = "ZSTD_decompress")]
    private static partial nuint ZstdDecompress(byte* dst, nuint dstCapacity, byte* src, nuint srcSize);

    [LibraryImport("libzstd.so.1", EntryPoint = "ZSTD_isError")]
    private static partial uint ZstdIsError(nuint code);

    /// <summary>compress2 at Z_BEST_SPEED, as makedumpfile -c.</summary>
    public static byte[] ZlibCompress(ReadOnlySpan<byte> source)
    {
        var output = new byte[source.Length + (source.Length >> 8) + 64];
        nuint length = (nuint)output.Length;
        Span<byte> none = stackalloc byte[1];
        fixed (byte* s = source.IsEmpty ? none : source)
        fixed (byte* d = output)
        {
            ZlibCompress2(d, ref length, s, (nuint)source.Length, 1).ShouldBe(0);
        }

        return output[..(int)length];
    }

    /// <summary>uncompress(): zlib's status (Z_OK = 0) and the bytes written.</summary>
    public static int ZlibUncompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        nuint length = (nuint)destination.Length;
        Span<byte> none = stackalloc byte[1];
        int rc;
        fixed (byte* s = source.IsEmpty ? none : source)
        fixed (byte* d = destination.IsEmpty ? none : destination)
        {
            rc = ZlibUncompress(d, ref length, s, (nuint)source.Length);
        }

        written = (int)length;
        return rc;
    }

    /// <summary>ZSTD_compress at level 1, as makedumpfile -z.</summary>
    public static byte[] ZstdCompress(ReadOnlySpan<byte> source)
    {
        var output = new byte[source.Length + (source.Length >> 7) + 128];
        Span<byte> none = stackalloc byte[1];
        nuint rc;
        fixed (byte* s = source.IsEmpty ? none : source)
        fixed (byte* d = output)
        {
            rc = ZstdCompress(d, (nuint)output.Length, s, (nuint)source.Length, 1);
        }

        ZstdIsError(rc).ShouldBe(0u);
        return output[..(int)rc];
    }

    /// <summary>ZSTD_decompress: the bytes written, or -1 for an error code.</summary>
    public static int ZstdDecompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        Span<byte> none = stackalloc byte[1];
        nuint rc;
        fixed (byte* s = source.IsEmpty ? none : source)
        fixed (byte* d = destination.IsEmpty ? none : destination)
        {
            rc = ZstdDecompress(d, (nuint)destination.Length, s, (nuint)source.Length);
        }

        return ZstdIsError(rc) != 0 ? -1 : (int)rc;
    }
}
