using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using Kdx.Core.IO;

namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// One of the two page bitmaps of a compressed kdump: bit <c>pfn % 8</c> of byte <c>pfn / 8</c>
/// (little-endian, so bit <c>pfn % 64</c> of 64-bit word <c>pfn / 64</c>). On a memory-mapped file the
/// words are read in place; otherwise the bitmap is copied once, on first use. The rank index (the
/// number of set bits before a pfn, which locates a page's descriptor) is built on first use too, so
/// opening a dump never touches its bitmaps.
/// </summary>
internal sealed class PfnBitmap
{
    private const int WordsPerBlock = 8; // 512 bits: one relative count
    private const int WordsPerSuper = 1024; // 65536 bits: one absolute count
    private const int ChunkWords = 8192;

    private readonly IByteSource _source;
    private readonly long _offset;
    private readonly IMappedByteSource? _mapped;
    private readonly Lock _lock = new();
    private ulong[]? _copy;
    private RankIndex? _rank;

    /// <summary>Describes a bitmap of <paramref name="bits"/> bits at <paramref name="offset"/>; the caller checked it lies in the file.</summary>
    public PfnBitmap(IByteSource source, long offset, ulong bits)
    {
        _source = source;
        _offset = offset;
        Bits = bits;
        WordCount = (long)((bits + 63) / 64);
        if (source is IMappedByteSource m && CanMapAll(m, offset, WordCount * 8))
        {
            _mapped = m;
        }
    }

    /// <summary>The number of meaningful bits (max_mapnr).</summary>
    public ulong Bits { get; }

    /// <summary>The number of 64-bit words that hold <see cref="Bits"/>.</summary>
    public long WordCount { get; }

    /// <summary>Whether the rank index has been built (for tests of the lazy behaviour).</summary>
    public bool HasRankIndex => Volatile.Read(ref _rank) != null;

    /// <summary>Whether bit <paramref name="pfn"/> is set; false beyond <see cref="Bits"/>.</summary>
    public bool Test(ulong pfn) => pfn < Bits && ((Word((long)(pfn >> 6)) >> (int)(pfn & 63)) & 1) != 0;

    /// <summary>Word <paramref name="index"/>, with bits at and beyond <see cref="Bits"/> cleared.</summary>
    public ulong Word(long index)
    {
        ulong w;
        if (_mapped != null && _mapped.TryGetSpan(_offset + (index * 8), 8, out var s))
        {
            w = BinaryPrimitives.ReadUInt64LittleEndian(s);
        }
        else
        {
            w = Copy()[index];
        }

        return index == WordCount - 1 ? w & LastWordMask() : w;
    }

    /// <summary>The number of set bits in [0, <paramref name="pfn"/>); <paramref name="pfn"/> is clamped to <see cref="Bits"/>.</summary>
    public long Rank(ulong pfn)
    {
        pfn = Math.Min(pfn, Bits);
        var rank = Rank();
        long word = (long)(pfn >> 6);
        long block = word / WordsPerBlock;
        long count = (long)rank.Super[word / WordsPerSuper] + rank.Block[block];
        for (long w = block * WordsPerBlock; w < word; w++)
        {
            count += BitOperations.PopCount(Word(w));
        }

        int bit = (int)(pfn & 63);
        if (bit != 0)
        {
            count += BitOperations.PopCount(Word(word) & ((1UL << bit) - 1));
        }

        return count;
    }

    /// <summary>The runs of set bits, as [start, end) pfn pairs, in order.</summary>
    public List<(ulong Start, ulong End)> Runs()
    {
        var runs = new List<(ulong, ulong)>();
        ulong runStart = 0;
        bool inRun = false;
        var scratch = new ulong[ChunkWords];
        for (long first = 0; first < WordCount; first += ChunkWords)
        {
            var words = Words(first, (int)Math.Min(ChunkWords, WordCount - first), scratch);
            for (int i = 0; i < words.Length; i++)
            {
                ulong w = words[i];
                ulong basePfn = (ulong)(first + i) * 64;
                if (w == (inRun ? ulong.MaxValue : 0))
                {
                    continue; // the run (or the gap) goes on through this word
                }

                for (int bit = 0; bit < 64; bit++)
                {
                    bool set = ((w >> bit) & 1) != 0;
                    if (set != inRun)
                    {
                        if (inRun)
                        {
                            runs.Add((runStart, basePfn + (ulong)bit));
                        }
                        else
                        {
                            runStart = basePfn + (ulong)bit;
                        }

                        inRun = set;
                    }
                }
            }
        }

        if (inRun)
        {
            runs.Add((runStart, Bits));
        }

        return runs;
    }

    private static bool CanMapAll(IMappedByteSource m, long offset, long length)
    {
        for (long done = 0; done < length; done += 1 << 30)
        {
            if (!m.TryGetSpan(offset + done, (int)Math.Min(1 << 30, length - done), out _))
            {
                return false;
            }
        }

        return true;
    }

    private ulong LastWordMask() => (Bits & 63) == 0 ? ulong.MaxValue : (1UL << (int)(Bits & 63)) - 1;

    // Words [first, first + count) as a span (bits beyond Bits not masked).
    private ReadOnlySpan<ulong> Words(long first, int count, Span<ulong> scratch)
    {
        if (_mapped != null && _mapped.TryGetSpan(_offset + (first * 8), count * 8, out var s))
        {
            return MemoryMarshal.Cast<byte, ulong>(s);
        }

        if (_mapped != null)
        {
            for (int i = 0; i < count; i++)
            {
                scratch[i] = Word(first + i);
            }

            return scratch[..count];
        }

        return Copy().AsSpan((int)first, count);
    }

    private ulong[] Copy()
    {
        var copy = Volatile.Read(ref _copy);
        if (copy != null)
        {
            return copy;
        }

        lock (_lock)
        {
            if (_copy == null)
            {
                var words = new ulong[WordCount];
                var bytes = MemoryMarshal.AsBytes(words.AsSpan());
                for (long done = 0; done < bytes.Length;)
                {
                    int n = _source.Read(_offset + done, bytes[(int)done..]);
                    if (n <= 0)
                    {
                        break; // validated at open: only a reassembled stream's hole can end early; it reads as zeros
                    }

                    done += n;
                }

                if (!BitConverter.IsLittleEndian)
                {
                    for (int i = 0; i < words.Length; i++)
                    {
                        words[i] = BinaryPrimitives.ReverseEndianness(words[i]);
                    }
                }

                Volatile.Write(ref _copy, words);
            }

            return _copy;
        }
    }

    private RankIndex Rank()
    {
        var rank = Volatile.Read(ref _rank);
        if (rank != null)
        {
            return rank;
        }

        lock (_lock)
        {
            _rank ??= BuildRank();
            return _rank;
        }
    }

    private RankIndex BuildRank()
    {
        var super = new ulong[(WordCount / WordsPerSuper) + 1];
        var block = new ushort[(WordCount / WordsPerBlock) + 1];
        var scratch = new ulong[ChunkWords];
        ulong total = 0;
        ulong superStart = 0;
        for (long first = 0; first < WordCount; first += ChunkWords)
        {
            int count = (int)Math.Min(ChunkWords, WordCount - first);
            var words = Words(first, count, scratch);
            for (int i = 0; i < count; i++)
            {
                long w = first + i;
                if (w % WordsPerSuper == 0)
                {
                    super[w / WordsPerSuper] = total;
                    superStart = total;
                }

                if (w % WordsPerBlock == 0)
                {
                    block[w / WordsPerBlock] = (ushort)(total - superStart);
                }

                ulong word = w == WordCount - 1 ? words[i] & LastWordMask() : words[i];
                total += (ulong)BitOperations.PopCount(word);
            }
        }

        // Entries for the position just past the last word (Rank(Bits) when Bits is a multiple of 512).
        if (WordCount % WordsPerSuper == 0)
        {
            super[WordCount / WordsPerSuper] = total;
            superStart = total;
        }

        if (WordCount % WordsPerBlock == 0)
        {
            block[WordCount / WordsPerBlock] = (ushort)(total - superStart);
        }

        return new RankIndex(super, block);
    }

    private sealed record RankIndex(ulong[] Super, ushort[] Block);
}
