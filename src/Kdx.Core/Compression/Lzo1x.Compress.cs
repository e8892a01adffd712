using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kdx.Core.Compression;

public static partial class Lzo1x
{
    /// <summary>Largest hash table (entries) the compressor uses: 64 KiB of stack.</summary>
    private const int MaxHashBits = 14;

    /// <summary>A match needs at least this many equal bytes (one hashed 32-bit word).</summary>
    private const int MinMatch = 4;

    /// <summary>
    /// Worst-case compressed size of <paramref name="inputLength"/> bytes: liblzo2's documented
    /// bound for LZO1X (in + in/16 + 64 + 3), which makedumpfile also uses for its buffers
    /// (makedumpfile.c: calculate_len_buf_out). <see cref="Compress"/> never needs more.
    /// </summary>
    public static int MaxCompressedSize(int inputLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(inputLength, int.MaxValue / 17 * 16 - 128);
        return inputLength + (inputLength / 16) + 64 + 3;
    }

    /// <summary>
    /// Compresses <paramref name="source"/> into one LZO1X stream (a greedy LZO1X-1 style
    /// compressor: hashed 4-byte matches, faster skipping over incompressible data) that liblzo2's
    /// <c>lzo1x_decompress_safe</c> and <see cref="Decompress"/> accept. Allocation-free
    /// (the hash table lives on the stack) and deterministic.
    /// </summary>
    /// <param name="source">Bytes to compress; must not overlap <paramref name="destination"/>.</param>
    /// <param name="destination">Room for the stream; <see cref="MaxCompressedSize"/> always suffices.</param>
    /// <returns>Bytes written, or -1 when the stream does not fit in <paramref name="destination"/>.</returns>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int hashBits = MaxHashBits;
        while (hashBits > 8 && (1 << (hashBits - 1)) >= source.Length)
        {
            hashBits--;
        }

        Span<int> table = stackalloc int[1 << hashBits];
        var encoder = new Lzo1xEncoder(destination);
        return encoder.Run(source, table, hashBits) ? encoder.Written : -1;
    }

    /// <summary>Writes LZO1X instructions with exact room checks.</summary>
    [StructLayout(LayoutKind.Auto)]
    private ref struct Lzo1xEncoder(Span<byte> destination)
    {
        private readonly Span<byte> _out = destination;
        private int _op;

        public readonly int Written => _op;

        public bool Run(scoped ReadOnlySpan<byte> input, scoped Span<int> table, int hashBits)
        {
            ref byte src = ref MemoryMarshal.GetReference(input);
            int n = input.Length;
            int anchor = 0;     // first byte not yet emitted
            int ip = 1;
            int shift = 32 - hashBits;

            while (ip <= n - MinMatch)
            {
                uint word = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, ip));
                int slot = (int)((word * 2654435761u) >> shift);
                int candidate = table[slot];
                table[slot] = ip;
                int distance = ip - candidate;
                if (distance > M4MaxDistance || word != Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, candidate)))
                {
                    // Step faster the longer the current run of literals: incompressible data
                    // is skipped quickly (the LZO1X-1 and LZ4 heuristic).
                    ip += 1 + ((ip - anchor) >> 5);
                    continue;
                }

                // Grow the match backwards into the pending literals, then forwards.
                int start = ip;
                while (start > anchor && candidate > 0 && Unsafe.Add(ref src, start - 1) == Unsafe.Add(ref src, candidate - 1))
                {
                    start--;
                    candidate--;
                }

                int length = (ip - start) + MinMatch + CommonLength(ref src, ip + MinMatch, candidate + (ip - start) + MinMatch, n);
                if (!EmitLiterals(input.Slice(anchor, start - anchor)) || !EmitMatch(distance, length))
                {
                    return false;
                }

                ip = start + length;
                anchor = ip;
                if (ip - 2 > 0 && ip <= n - MinMatch)
                {
                    // Remember a position inside the match too: runs of similar records chain.
                    uint inner = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, ip - 2));
                    table[(int)((inner * 2654435761u) >> shift)] = ip - 2;
                }
            }

            return EmitLiterals(input[anchor..]) && EmitEndMarker();
        }

        /// <summary>Length of the common prefix of src[a..] and src[b..] (b &lt; a), up to the input end.</summary>
        private static int CommonLength(ref byte src, int a, int b, int n)
        {
            int start = a;
            while (a <= n - 8)
            {
                ulong diff = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, a)) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, b));
                if (diff != 0)
                {
                    return a - start + (BitOperations.TrailingZeroCount(diff) >> 3);
                }

                a += 8;
                b += 8;
            }

            while (a < n && Unsafe.Add(ref src, a) == Unsafe.Add(ref src, b))
            {
                a++;
                b++;
            }

            return a - start;
        }

        /// <summary>
        /// A literal run. 1..3 literals after a match ride in the match's last-but-one byte (its SS
        /// bits); at the very start a run of up to 238 is one byte 17+n.
        /// </summary>
        private bool EmitLiterals(scoped ReadOnlySpan<byte> literals)
        {
            int count = literals.Length;
            if (count == 0)
            {
                return true;
            }

            int header = _op == 0 && count <= 238 ? 1
                : count <= 3 ? 0
                : count <= 18 ? 1
                : 2 + ((count - 19) / 255);
            if (_out.Length - _op < header + count)
            {
                return false;
            }

            if (_op == 0 && count <= 238)
            {
                _out[_op++] = (byte)(17 + count);
            }
            else if (count <= 3)
            {
                _out[_op - 2] |= (byte)count;
            }
            else if (count <= 18)
            {
                _out[_op++] = (byte)(count - 3);
            }
            else
            {
                _out[_op++] = 0;
                WriteExtendedLength(count - 18);
            }

            literals.CopyTo(_out[_op..]);
            _op += count;
            return true;
        }

        /// <summary>A match of <paramref name="length"/> ≥ 4 bytes from <paramref name="distance"/> back.</summary>
        private bool EmitMatch(int distance, int length)
        {
            if (distance <= M2MaxDistance && length <= 8)
            {
                if (_out.Length - _op < 2)
                {
                    return false;
                }

                int d = distance - 1;
                _out[_op] = (byte)(((length - 1) << 5) | ((d & 7) << 2));
                _out[_op + 1] = (byte)(d >> 3);
                _op += 2;
                return true;
            }

            int code;
            int maxShort;
            int operand;
            if (distance <= M3MaxDistance)
            {
                code = 32;
                maxShort = 33;
                operand = (distance - 1) << 2;
            }
            else
            {
                int d = distance - M3MaxDistance;
                code = 16 | ((d >> 11) & 8);
                maxShort = 9;
                operand = (d & 0x3FFF) << 2;
            }

            int size = length <= maxShort ? 3 : 4 + ((length - maxShort - 1) / 255);
            if (_out.Length - _op < size)
            {
                return false;
            }

            if (length <= maxShort)
            {
                _out[_op++] = (byte)(code | (length - 2));
            }
            else
            {
                _out[_op++] = (byte)code;
                WriteExtendedLength(length - maxShort);
            }

            BinaryPrimitives.WriteUInt16LittleEndian(_out[_op..], (ushort)operand);
            _op += 2;
            return true;
        }

        /// <summary>The end marker: a 0001HLLL match with distance 16384 (H = 0, LE16 = 0).</summary>
        private bool EmitEndMarker()
        {
            if (_out.Length - _op < 3)
            {
                return false;
            }

            _out[_op] = 0x11;
            _out[_op + 1] = 0;
            _out[_op + 2] = 0;
            _op += 3;
            return true;
        }

        /// <summary>255 per zero byte, then the rest (1..255); room was checked by the caller.</summary>
        private void WriteExtendedLength(int rest)
        {
            while (rest > 255)
            {
                _out[_op++] = 0;
                rest -= 255;
            }

            _out[_op++] = (byte)rest;
        }
    }
}
