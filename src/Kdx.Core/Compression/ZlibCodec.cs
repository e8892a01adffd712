using System.Buffers.Binary;
using System.IO.Compression;

namespace Kdx.Core.Compression;

/// <summary>
/// zlib pages as makedumpfile writes them: one zlib stream (RFC 1950) per page, made with
/// <c>deflateInit(Z_BEST_SPEED)</c> + <c>deflate(Z_FINISH)</c> (makedumpfile.c: compress_mdf) and
/// read back with <c>uncompress()</c>. .NET 10 has no span-based zlib encoder or decoder, so each
/// call builds a <see cref="ZLibStream"/> (a few small objects and a native z_stream) over a reused
/// pointer stream. Not thread-safe.
/// </summary>
internal sealed class ZlibCodec : IDisposable
{
    /// <summary>Header (2) and Adler-32 trailer (4) around the deflate data.</summary>
    private const int Framing = 6;

    private readonly PointerStream _stream = new();

    // Z_BEST_SPEED, as makedumpfile.c's initialize_zlib(&stream, Z_BEST_SPEED).
    private readonly ZLibCompressionOptions _fastest = new() { CompressionLevel = 1 };

    /// <summary>
    /// Decompresses one zlib stream. Unlike <c>uncompress()</c> it wants the stream to fill the
    /// input exactly (its Adler-32 in the last 4 bytes), as makedumpfile stores it: .NET's inflater
    /// does not report a stream that stops before its checksum, so the checksum is checked here.
    /// </summary>
    public unsafe bool TryDecompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        if (source.Length < Framing)
        {
            return false;
        }

        int total = 0;
        try
        {
            fixed (byte* input = source)
            {
                _stream.Reset(input, source.Length);
                using var inflater = new ZLibStream(_stream, CompressionMode.Decompress, leaveOpen: true);
                while (total < destination.Length)
                {
                    int n = inflater.Read(destination[total..]);
                    if (n == 0)
                    {
                        break;
                    }

                    total += n;
                }

                Span<byte> probe = stackalloc byte[1];
                if (total == destination.Length && inflater.Read(probe) != 0)
                {
                    // More output than room: uncompress() says Z_BUF_ERROR.
                    written = total;
                    return false;
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // Corrupt data, or a zlib status .NET does not expect (e.g. Z_NEED_DICT from a header
            // with FDICT set, raised as an internal IOException subclass): a bad page either way.
            written = total;
            return false;
        }

        written = total;
        return BinaryPrimitives.ReadUInt32BigEndian(source[^4..]) == Adler32.Compute(destination[..total]);
    }

    /// <summary>Compresses into one zlib stream at level 1; -1 when it does not fit.</summary>
    public unsafe int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* output = destination)
        {
            _stream.Reset(output, destination.Length);
            using (var deflater = new ZLibStream(_stream, _fastest, leaveOpen: true))
            {
                deflater.Write(source);
            }

            return _stream.Overflowed ? -1 : (int)_stream.Position;
        }
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>
    /// Worst case for .NET's zlib (zlib-ng since .NET 9), whose fastest level may emit fixed-Huffman
    /// blocks (9 bits for some literals) before it falls back to stored blocks: n/8 more, plus
    /// block headers, plus the zlib framing, with room to spare.
    /// </summary>
    public static int MaxCompressedSize(int inputLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(inputLength, int.MaxValue / 10 * 8);
        return inputLength + (inputLength >> 3) + (inputLength >> 6) + 64;
    }
}
