using System.Runtime.InteropServices;
using Kdx.Core.Compression;

namespace Kdx.Tests.Compression;

/// <summary>
/// The real liblzo2 (Debian package liblzo2-2), the reference the managed codec is checked against.
/// Test-only: Kdx itself has no native code. Signatures from /usr/include/lzo/lzo1x.h and lzoconf.h.
/// </summary>
internal static partial class LibLzo2
{
    private const string Library = "liblzo2.so.2";

    // lzoconf.h: lzo_init() is __lzo_init_v2(LZO_VERSION, sizeof(short), sizeof(int), sizeof(long),
    // sizeof(lzo_uint32_t), sizeof(lzo_uint), lzo_sizeof_dict_t, sizeof(char*), sizeof(lzo_voidp),
    // sizeof(lzo_callback_t)); lzo_callback_t is three pointers, two more and an int padded: 48 on LP64.
    private const uint LzoVersion = 0x20a0;

    // lzo1x.h: LZO1X_1_MEM_COMPRESS = 16384 * sizeof(pointer); LZO1X_999_MEM_COMPRESS = 14 * 16384 * sizeof(short).
    private const int Lzo1x1MemCompress = 16384 * 8;
    private const int Lzo1x999MemCompress = 14 * 16384 * 2;

    private static readonly Lazy<bool> Initialised = new(() =>
        Init(LzoVersion, sizeof(short), sizeof(int), sizeof(long), sizeof(uint), sizeof(ulong), 8, 8, 8, 48) == 0);

    [LibraryImport(Library, EntryPoint = "__lzo_init_v2")]
    private static partial int Init(uint version, int s1, int s2, int s3, int s4, int s5, int s6, int s7, int s8, int s9);

    [LibraryImport(Library, EntryPoint = "lzo1x_1_compress")]
    private static unsafe partial int Compress1(byte* src, nuint srcLen, byte* dst, ref nuint dstLen, byte* wrkmem);

    [LibraryImport(Library, EntryPoint = "lzo1x_999_compress")]
    private static unsafe partial int Compress999(byte* src, nuint srcLen, byte* dst, ref nuint dstLen, byte* wrkmem);

    [LibraryImport(Library, EntryPoint = "lzo1x_decompress_safe")]
    private static unsafe partial int DecompressSafe(byte* src, nuint srcLen, byte* dst, ref nuint dstLen, nint wrkmem);

    private static void EnsureInitialised()
    {
        if (!Initialised.Value)
        {
            throw new InvalidOperationException("liblzo2 __lzo_init_v2 failed");
        }
    }

    /// <summary>lzo1x_1_compress, the compressor makedumpfile -l uses.</summary>
    public static byte[] Compress1(ReadOnlySpan<byte> source) => Compress(source, best: false);

    /// <summary>lzo1x_999_compress: slower, finds the short matches (M1) LZO1X-1 never emits.</summary>
    public static byte[] Compress999(ReadOnlySpan<byte> source) => Compress(source, best: true);

    private static unsafe byte[] Compress(ReadOnlySpan<byte> source, bool best)
    {
        EnsureInitialised();
        var output = new byte[Lzo1x.MaxCompressedSize(source.Length)];
        var work = new byte[best ? Lzo1x999MemCompress : Lzo1x1MemCompress];
        nuint length = (nuint)output.Length;
        int rc;
        Span<byte> none = stackalloc byte[1];
        fixed (byte* s = source.IsEmpty ? none : source)
        fixed (byte* d = output)
        fixed (byte* w = work)
        {
            rc = best ? Compress999(s, (nuint)source.Length, d, ref length, w) : Compress1(s, (nuint)source.Length, d, ref length, w);
        }

        if (rc != 0)
        {
            throw new InvalidOperationException($"liblzo2 compress failed: {rc}");
        }

        return output.AsSpan(0, (int)length).ToArray();
    }

    /// <summary>lzo1x_decompress_safe: status (as <see cref="LzoStatus"/>) and bytes written.</summary>
    public static unsafe LzoStatus Decompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        EnsureInitialised();
        nuint length = (nuint)destination.Length;
        int rc;
        // Empty spans pin as null; give the library real (unused) addresses instead.
        Span<byte> none = stackalloc byte[1];
        fixed (byte* s = source.IsEmpty ? none : source)
        fixed (byte* d = destination.IsEmpty ? none : destination)
        {
            rc = DecompressSafe(s, (nuint)source.Length, d, ref length, 0);
        }

        written = (int)length;
        return (LzoStatus)rc;
    }
}
