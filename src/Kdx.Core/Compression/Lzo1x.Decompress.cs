using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kdx.Core.Compression;

/// <summary>
/// LZO1X, the codec of makedumpfile's <c>-l</c> dumps (makedumpfile.c reads pages with liblzo2's
/// <c>lzo1x_decompress_safe</c> and writes them with <c>lzo1x_1_compress</c>). Plain LZO1X, not the
/// kernel's lzo-rle: there is no version byte (Documentation/staging/lzo.rst, "Versions").
/// </summary>
/// <remarks>
/// Bitstream (Documentation/staging/lzo.rst): instructions whose meaning depends on a state, the
/// number of literals the previous instruction copied (0, 1..3, or 4+ after a literal run).
/// <code>
/// first byte 18..255      t = b-17 literals; t &lt; 4 → state t, else state 4
/// 0000LLLL  state 0       literal run, 3+L bytes (L=0: 18 + 255·zeros + next byte)
/// 0000DDSS  state 1..3    copy 2 bytes, distance 1 + D + 4·next byte
/// 0000DDSS  state 4       copy 3 bytes, distance 2049 + D + 4·next byte
/// 0001HLLL  LE16          copy 2+L bytes (L=0: extended), distance 16384 + 16384·H + LE16/4; 16384 = end
/// 001LLLLL  LE16          copy 2+L bytes (L=0: extended), distance 1 + LE16/4
/// 01LDDDSS  byte          copy 3+L bytes, distance 1 + D + 8·byte
/// 1LLDDDSS  byte          copy 5+L bytes, distance 1 + D + 8·byte
/// </code>
/// SS, the low bits of the instruction or of LE16, is the number of literals that follow the match
/// and the next state. The end marker is <c>11 00 00</c>.
/// <para>
/// Input checks follow liblzo2's <c>lzo1x_decompress_safe</c> (lzo 2.10): an instruction is read
/// only after at least 3 input bytes are known to be there, and a literal copy demands 3 bytes past
/// its literals for the next instruction. So every status (and the output length on failure) is
/// the one liblzo2 reports for the same input.
/// </para>
/// </remarks>
public static partial class Lzo1x
{
    /// <summary>Largest distance of a 01LDDDSS / 1LLDDDSS match (M2); the 3-byte match after a literal run starts past it.</summary>
    private const int M2MaxDistance = 0x800;

    /// <summary>Largest distance of a 001LLLLL match (M3); 0001HLLL (M4) starts past it.</summary>
    private const int M3MaxDistance = 0x4000;

    /// <summary>Largest distance of a 0001HLLL match (M4).</summary>
    private const int M4MaxDistance = 0xBFFF;

    /// <summary>The smallest multiple of a distance 1..7 that is 8 or more.</summary>
    private static ReadOnlySpan<byte> WideDistance => [0, 8, 8, 9, 8, 10, 12, 14];

    /// <summary>
    /// Decompresses one LZO1X stream. Never reads outside <paramref name="source"/> nor writes
    /// outside <paramref name="destination"/>, never throws, allocates nothing, and always ends
    /// (each instruction consumes input). A fuzz target as it stands.
    /// </summary>
    /// <param name="source">The whole compressed stream, ending with its end marker.</param>
    /// <param name="destination">Room for the output; must not overlap <paramref name="source"/>.
    /// Bytes past <paramref name="written"/> may be overwritten with scratch.</param>
    /// <param name="written">Bytes of output produced, also on failure (as liblzo2's out_len).</param>
    /// <returns><see cref="LzoStatus.Ok"/>, or why the stream is bad.</returns>
    public static LzoStatus Decompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        int inEnd = source.Length;
        int outEnd = destination.Length;
        int ip = 0;
        int op = 0;
        int t;          // the instruction byte, then a literal count 1..3
        long count;     // a literal or match length (long: 255 per zero byte can pass int range)
        int distance;

        if (inEnd < 1)
        {
            goto InputOverrun;
        }

        if (src > 17)
        {
            t = src - 17;
            ip = 1;
            if (t < 4)
            {
                goto ShortLiterals;
            }

            if (outEnd - op < t)
            {
                goto OutputOverrun;
            }

            if (inEnd - ip < t + 3)
            {
                goto InputOverrun;
            }

            CopyLiterals(ref dst, op, ref src, ip, t, inEnd, outEnd);
            op += t;
            ip += t;
            goto AfterLiteralRun;
        }

        // State 0: a literal run or a match.
    NextInstruction:
        if (inEnd - ip < 3)
        {
            goto InputOverrun;
        }

        t = Unsafe.Add(ref src, ip++);
        if (t >= 16)
        {
            goto Match;
        }

        count = t;
        if (count == 0)
        {
            if (!TryReadExtendedLength(ref src, ref ip, inEnd, 15, ref count))
            {
                goto InputOverrun;
            }
        }

        count += 3;
        if (outEnd - op < count)
        {
            goto OutputOverrun;
        }

        if (inEnd - ip < count + 3)
        {
            goto InputOverrun;
        }

        CopyLiterals(ref dst, op, ref src, ip, (int)count, inEnd, outEnd);
        op += (int)count;
        ip += (int)count;

        // State 4: the two-byte-operand short match now copies 3 bytes from 2049..3072 back.
    AfterLiteralRun:
        t = Unsafe.Add(ref src, ip++);
        if (t >= 16)
        {
            goto Match;
        }

        distance = 1 + M2MaxDistance + (t >> 2) + (Unsafe.Add(ref src, ip++) << 2);
        count = 3;
        goto CopyMatch;

        // State 1..4 has been dealt with; t is a match instruction.
    Match:
        if (t >= 64)
        {
            distance = 1 + ((t >> 2) & 7) + (Unsafe.Add(ref src, ip++) << 3);
            count = (t >> 5) + 1;
        }
        else if (t >= 32)
        {
            count = t & 31;
            if (count == 0)
            {
                if (!TryReadExtendedLength(ref src, ref ip, inEnd, 31, ref count) || inEnd - ip < 2)
                {
                    goto InputOverrun;
                }
            }

            distance = 1 + (ReadLe16(ref src, ip) >> 2);
            ip += 2;
            count += 2;
        }
        else if (t >= 16)
        {
            distance = (t & 8) << 11;
            count = t & 7;
            if (count == 0)
            {
                if (!TryReadExtendedLength(ref src, ref ip, inEnd, 7, ref count) || inEnd - ip < 2)
                {
                    goto InputOverrun;
                }
            }

            distance += ReadLe16(ref src, ip) >> 2;
            ip += 2;
            if (distance == 0)
            {
                goto EndMarker;
            }

            distance += M3MaxDistance;
            count += 2;
        }
        else
        {
            // After 1..3 literals: copy 2 bytes from at most 1 KiB back.
            distance = 1 + (t >> 2) + (Unsafe.Add(ref src, ip++) << 2);
            count = 2;
        }

    CopyMatch:
        if (distance > op)
        {
            goto LookbehindOverrun;
        }

        if (outEnd - op < count)
        {
            goto OutputOverrun;
        }

        CopyMatch(ref dst, op, distance, (int)count, outEnd);
        op += (int)count;

        // The low two bits of the byte before the last operand byte count the literals that follow.
        t = Unsafe.Add(ref src, ip - 2) & 3;
        if (t == 0)
        {
            goto NextInstruction;
        }

    ShortLiterals:
        if (outEnd - op < t)
        {
            goto OutputOverrun;
        }

        if (inEnd - ip < t + 3)
        {
            goto InputOverrun;
        }

        if (outEnd - op >= 4)
        {
            // 4 bytes at once (the input has t + 3 ≥ 4 left); the extra ones are overwritten later.
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, op), Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, ip)));
        }
        else
        {
            for (int i = 0; i < t; i++)
            {
                Unsafe.Add(ref dst, op + i) = Unsafe.Add(ref src, ip + i);
            }
        }

        op += t;
        ip += t;
        t = Unsafe.Add(ref src, ip++);
        goto Match;

    EndMarker:
        written = op;
        return ip == inEnd ? LzoStatus.Ok : LzoStatus.InputNotConsumed;

    InputOverrun:
        written = op;
        return LzoStatus.InputOverrun;

    OutputOverrun:
        written = op;
        return LzoStatus.OutputOverrun;

    LookbehindOverrun:
        written = op;
        return LzoStatus.LookbehindOverrun;
    }

    /// <summary>
    /// Reads the zero bytes and final byte of an extended length: <paramref name="count"/> becomes
    /// <paramref name="bias"/> + 255 per zero byte + the first non-zero byte. The caller guarantees
    /// one byte at <paramref name="ip"/>; each further byte is checked first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadExtendedLength(ref byte src, ref int ip, int inEnd, int bias, ref long count)
    {
        count = bias;
        while (Unsafe.Add(ref src, ip) == 0)
        {
            count += 255;
            ip++;
            if (ip >= inEnd)
            {
                return false;
            }
        }

        count += Unsafe.Add(ref src, ip++);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadLe16(ref byte src, int ip) =>
        Unsafe.Add(ref src, ip) | (Unsafe.Add(ref src, ip + 1) << 8);

    /// <summary>
    /// Copies <paramref name="count"/> literals. The caller has checked both bounds for
    /// <paramref name="count"/> bytes; the 16-byte fast path checks its own, wider, bounds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyLiterals(ref byte dst, int op, ref byte src, int ip, int count, int inEnd, int outEnd)
    {
        if (count <= 16 && inEnd - ip >= 16 && outEnd - op >= 16)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, op), Unsafe.ReadUnaligned<UInt128>(ref Unsafe.Add(ref src, ip)));
            return;
        }

        Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref dst, op), ref Unsafe.Add(ref src, ip), (uint)count);
    }

    /// <summary>
    /// Copies <paramref name="count"/> bytes from <paramref name="distance"/> back in the output,
    /// repeating the pattern when the source overlaps the copy (distance &lt; count). The caller has
    /// checked 1 ≤ distance ≤ op and op + count ≤ outEnd.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyMatch(ref byte dst, int op, int distance, int count, int outEnd)
    {
        int end = op + count;
        if (outEnd - end < 16)
        {
            // Near the end of the output there is no room for the wide copies below.
            for (; op < end; op++)
            {
                Unsafe.Add(ref dst, op) = Unsafe.Add(ref dst, op - distance);
            }

            return;
        }

        if (distance < 16)
        {
            // The bytes from (start - distance) on repeat with period distance, and every multiple
            // of distance that reaches no further back than (start - distance) is an equally good
            // source. Widen it to 16 or more (one byte at a time below 8, then by doubling), so
            // long runs, of zeros above all, copy 16 bytes a step.
            if (distance < 8)
            {
                int wide = WideDistance[distance];
                for (int i = 0; i < wide - distance; i++)
                {
                    Unsafe.Add(ref dst, op + i) = Unsafe.Add(ref dst, op + i - distance);
                }

                op += wide - distance;
                distance = wide;
                if (op >= end)
                {
                    return;
                }
            }

            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, op), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref dst, op - distance)));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, op + 8), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref dst, op + 8 - distance)));
            op += 16;
            distance *= 2;
        }

        // 16 bytes a step; may write up to 15 bytes past end, all below outEnd.
        while (op < end)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, op), Unsafe.ReadUnaligned<UInt128>(ref Unsafe.Add(ref dst, op - distance)));
            op += 16;
        }
    }
}
