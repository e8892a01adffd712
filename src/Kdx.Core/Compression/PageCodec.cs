using System.IO.Compression;
using Snappier;
using ZstdSharp;

namespace Kdx.Core.Compression;

// TEMPORARY stand-in written on the kdump branch so the kdump reader and writer build before the
// compression branch lands. It implements the agreed contract (PageCompression + PageCodec) with
// zlib from System.IO.Compression and thin zstd/snappy adapters; LZO is not available here.
// The lead replaces this file with the compression branch's implementation at merge.

/// <summary>A page compression method of the kdump format (makedumpfile diskdump_mod.h: DUMP_DH_COMPRESSED_*).</summary>
public enum PageCompression
{
    /// <summary>Stored as is.</summary>
    None,

    /// <summary>zlib (RFC 1950), DUMP_DH_COMPRESSED_ZLIB.</summary>
    Zlib,

    /// <summary>LZO1X, DUMP_DH_COMPRESSED_LZO.</summary>
    Lzo,

    /// <summary>Snappy (raw, unframed), DUMP_DH_COMPRESSED_SNAPPY.</summary>
    Snappy,

    /// <summary>Zstandard (one frame), DUMP_DH_COMPRESSED_ZSTD.</summary>
    Zstd,
}

/// <summary>
/// Compresses and decompresses single dump pages. An instance keeps per-codec state and is not
/// thread-safe: use one per reader or per thread (the shape of the compression branch's class).
/// </summary>
public sealed class PageCodec : IDisposable
{
    private Compressor? _zstdOut;
    private Decompressor? _zstdIn;
    /// <summary>
    /// Decompresses <paramref name="source"/> into <paramref name="destination"/>. Returns false (never
    /// throws) when the data is corrupt, the method is unavailable, or the output does not fit.
    /// </summary>
    public bool TryDecompress(PageCompression kind, ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        try
        {
            switch (kind)
            {
                case PageCompression.None:
                    if (source.Length > destination.Length)
                    {
                        return false;
                    }

                    source.CopyTo(destination);
                    written = source.Length;
                    return true;
                case PageCompression.Zlib:
                    return TryInflate(source, destination, out written);
                case PageCompression.Snappy:
                    return Snappy.TryDecompress(source, destination, out written);
                case PageCompression.Zstd:
                    return (_zstdIn ??= new Decompressor()).TryUnwrap(source, destination, out written);

                default:
                    return false;
            }
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or ZstdException or InvalidOperationException)
        {
            written = 0;
            return false;
        }
    }

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/> and returns the compressed
    /// length, or -1 when the method is unavailable, the result does not fit, or it is not smaller than the input.
    /// </summary>
    public int Compress(PageCompression kind, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int n;
        switch (kind)
        {
            case PageCompression.Zlib:
                n = Deflate(source, destination);
                break;
            case PageCompression.Snappy:
                n = Snappy.TryCompress(source, destination, out int s) ? s : -1;
                break;
            case PageCompression.Zstd:
                n = (_zstdOut ??= new Compressor(1)).TryWrap(source, destination, out int z) ? z : -1;
                break;
            default:
                return -1;
        }

        return n >= 0 && n < source.Length ? n : -1;
    }

    /// <summary>The largest compressed size of <paramref name="inputLength"/> input bytes.</summary>
    public static int MaxCompressedSize(PageCompression kind, int inputLength) => kind switch
    {
        PageCompression.Snappy => Snappy.GetMaxCompressedLength(inputLength),
        PageCompression.Zstd => (int)Compressor.GetCompressBound(inputLength),
        _ => inputLength + (inputLength / 16) + 64 + 3,
    };

    /// <inheritdoc/>
    public void Dispose()
    {
        _zstdIn?.Dispose();
        _zstdOut?.Dispose();
        _zstdIn = null;
        _zstdOut = null;
    }

    private static bool TryInflate(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        using var input = new MemoryStream(source.ToArray(), writable: false);
        using var z = new ZLibStream(input, CompressionMode.Decompress);
        while (written < destination.Length)
        {
            int r = z.Read(destination[written..]);
            if (r == 0)
            {
                return true;
            }

            written += r;
        }

        // Output full: the stream must end here.
        Span<byte> extra = stackalloc byte[1];
        return z.Read(extra) == 0;
    }

    private static int Deflate(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(source);
        }

        if (output.Length > destination.Length)
        {
            return -1;
        }

        output.GetBuffer().AsSpan(0, (int)output.Length).CopyTo(destination);
        return (int)output.Length;
    }
}
