namespace Kdx.Core.Compression;

/// <summary>
/// Compresses and decompresses kdump pages with any of makedumpfile's codecs. Corrupt input is a
/// <c>false</c> / -1, never an exception. The LZO and zstd paths allocate nothing per call; snappy
/// (inside Snappier) and zlib (a <see cref="System.IO.Compression.ZLibStream"/> each time) allocate
/// a few small objects.
/// </summary>
/// <remarks>
/// An instance keeps per-codec state (zstd contexts, a zlib stream adapter, a snappy scratch
/// buffer) and is not thread-safe: use one per reader or per thread. Dispose it to free the zstd
/// contexts promptly.
/// </remarks>
public sealed class PageCodec : IDisposable
{
    private ZlibCodec? _zlib;
    private SnappyCodec? _snappy;
    private ZstdCodec? _zstd;
    private bool _disposed;

    /// <summary>
    /// Decompresses one page. A fuzz target as it stands: any <paramref name="source"/> bytes give
    /// a result, never an exception, and nothing outside the two spans is touched.
    /// </summary>
    /// <param name="kind">The page's codec (<see cref="DiskDumpCompression.FromFlags"/>).</param>
    /// <param name="source">The stored page, exactly as long as its page descriptor says.</param>
    /// <param name="destination">Room for the page; must not overlap <paramref name="source"/>.
    /// Bytes past <paramref name="written"/> may be overwritten with scratch.</param>
    /// <param name="written">Bytes of output (for <see cref="PageCompression.None"/>, the source length).</param>
    /// <returns>True if the whole stream decoded and fit. The caller still checks that
    /// <paramref name="written"/> is one page, as makedumpfile does.</returns>
    public bool TryDecompress(PageCompression kind, ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        switch (kind)
        {
            case PageCompression.None:
                written = Math.Min(source.Length, destination.Length);
                source[..written].CopyTo(destination);
                return written == source.Length;
            case PageCompression.Lzo:
                return Lzo1x.Decompress(source, destination, out written) == LzoStatus.Ok;
            case PageCompression.Zlib:
                return (_zlib ??= new ZlibCodec()).TryDecompress(source, destination, out written);
            case PageCompression.Snappy:
                return SnappyCodec.TryDecompress(source, destination, out written);
            case PageCompression.Zstd:
                return (_zstd ??= new ZstdCodec()).TryDecompress(source, destination, out written);
            default:
                throw UnknownKind(kind);
        }
    }

    /// <summary>
    /// Compresses one page the way makedumpfile does for <paramref name="kind"/> (zlib and zstd at
    /// level 1, LZO1X-1, snappy). Output differs in bytes from the C libraries' (.NET's zlib is
    /// zlib-ng, whose level 1 trades some ratio for speed) but every reader of the format accepts it. Like makedumpfile, a page that does not get smaller is not worth
    /// storing compressed: the result is then -1 and the caller stores it raw.
    /// </summary>
    /// <returns>Bytes written, or -1 if the result is not smaller than <paramref name="source"/>,
    /// does not fit in <paramref name="destination"/>, or <paramref name="kind"/> is
    /// <see cref="PageCompression.None"/>. zstd needs a few bytes of working room past its result
    /// (8 sufficed in tests), so give it <see cref="MaxCompressedSize"/> for the full benefit.</returns>
    public int Compress(PageCompression kind, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int written = kind switch
        {
            PageCompression.None => -1,
            PageCompression.Lzo => Lzo1x.Compress(source, destination),
            PageCompression.Zlib => (_zlib ??= new ZlibCodec()).Compress(source, destination),
            PageCompression.Snappy => (_snappy ??= new SnappyCodec()).Compress(source, destination),
            PageCompression.Zstd => (_zstd ??= new ZstdCodec()).Compress(source, destination),
            _ => throw UnknownKind(kind),
        };
        return written >= 0 && written < source.Length ? written : -1;
    }

    /// <summary>
    /// Room that always holds the compressed form of <paramref name="inputLength"/> bytes, for
    /// buffers that must never make <see cref="Compress"/> fail for lack of space.
    /// </summary>
    public static int MaxCompressedSize(PageCompression kind, int inputLength) => kind switch
    {
        PageCompression.None => inputLength >= 0 ? inputLength : throw new ArgumentOutOfRangeException(nameof(inputLength)),
        PageCompression.Lzo => Lzo1x.MaxCompressedSize(inputLength),
        PageCompression.Zlib => ZlibCodec.MaxCompressedSize(inputLength),
        PageCompression.Snappy => SnappyCodec.MaxCompressedSize(inputLength),
        PageCompression.Zstd => ZstdCodec.MaxCompressedSize(inputLength),
        _ => throw UnknownKind(kind),
    };

    /// <inheritdoc/>
    public void Dispose()
    {
        _disposed = true;
        _zstd?.Dispose();
        _zstd = null;
        _zlib?.Dispose();
        _zlib = null;
    }

    private static ArgumentOutOfRangeException UnknownKind(PageCompression kind) =>
        new(nameof(kind), kind, "unknown page compression");
}
