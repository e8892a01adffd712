using Snappier;

namespace Kdx.Core.Compression;

/// <summary>
/// Snappy pages as makedumpfile writes them: one raw snappy block (a varint of the uncompressed
/// length, then literal and copy elements; not the framed stream format), from the snappy-c API's
/// <c>snappy_compress</c>, read back with <c>snappy_uncompressed_length</c> + <c>snappy_uncompress</c>
/// (makedumpfile.c). Not thread-safe (a reused scratch buffer).
/// </summary>
internal sealed class SnappyCodec
{
    private byte[]? _scratch;

    /// <summary>
    /// Decompresses one block. The length preamble is checked here first, so the common corrupt
    /// cases fail without an exception; Snappier's <see cref="InvalidDataException"/> for a bad
    /// body is caught.
    /// </summary>
    public static bool TryDecompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        if (!TryReadLength(source, out uint length, out int preamble) || length > (uint)destination.Length)
        {
            return false;
        }

        try
        {
            written = Snappy.Decompress(source, destination[..(int)length]);
            return written == (int)length && EndsWithLastElement(source, preamble, written);
        }
        catch (InvalidDataException)
        {
            written = 0;
            return false;
        }
    }

    /// <summary>Compresses into one block; -1 when it does not fit.</summary>
    public int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        // Snappier wants room for the worst case; compress into scratch when the caller has less.
        int worst = Snappy.GetMaxCompressedLength(source.Length);
        if (destination.Length >= worst)
        {
            return Snappy.TryCompress(source, destination, out int direct) ? direct : -1;
        }

        if (_scratch is null || _scratch.Length < worst)
        {
            _scratch = new byte[worst];
        }

        if (!Snappy.TryCompress(source, _scratch, out int written) || written > destination.Length)
        {
            return -1;
        }

        _scratch.AsSpan(0, written).CopyTo(destination);
        return written;
    }

    public static int MaxCompressedSize(int inputLength) => Snappy.GetMaxCompressedLength(inputLength);

    /// <summary>The preamble: the uncompressed length as a little-endian base-128 varint of at most 32 bits.</summary>
    private static bool TryReadLength(ReadOnlySpan<byte> source, out uint length, out int preamble)
    {
        length = 0;
        for (int i = 0; i < 5 && i < source.Length; i++)
        {
            uint part = source[i] & 0x7Fu;
            if (i == 4 && part > 0xF)
            {
                break;
            }

            length |= part << (7 * i);
            if ((source[i] & 0x80) == 0)
            {
                preamble = i + 1;
                return true;
            }
        }

        preamble = 0;
        return false;
    }

    /// <summary>
    /// Snappier stops once the output is complete and ignores what follows; the C library
    /// (snappy_uncompress) rejects a block with bytes after its last element, and so does this.
    /// Walks the element headers (format_description.txt in google/snappy: tag low bits 00 literal,
    /// 01/10/11 copies with 1/2/4 offset bytes) of a block Snappier already decoded.
    /// </summary>
    private static bool EndsWithLastElement(ReadOnlySpan<byte> source, int at, int length)
    {
        long produced = 0;
        while (produced < length && at < source.Length)
        {
            int tag = source[at++];
            switch (tag & 3)
            {
                case 0:
                    long literal = (tag >> 2) + 1;
                    if (literal > 60)
                    {
                        int bytes = (int)literal - 60;
                        if (source.Length - at < bytes)
                        {
                            return false;
                        }

                        literal = 1;
                        for (int i = 0; i < bytes; i++)
                        {
                            literal += (long)source[at + i] << (8 * i);
                        }

                        at += bytes;
                    }

                    if (source.Length - at < literal)
                    {
                        return false;
                    }

                    at += (int)literal;
                    produced += literal;
                    break;
                case 1:
                    at += 1;
                    produced += 4 + ((tag >> 2) & 7);
                    break;
                case 2:
                    at += 2;
                    produced += 1 + (tag >> 2);
                    break;
                default:
                    at += 4;
                    produced += 1 + (tag >> 2);
                    break;
            }
        }

        return produced == length && at == source.Length;
    }
}
