using Kdx.Core.Elf;

namespace Kdx.Core.Dumps.Elf;

/// <summary>What a piece of physical memory is in an ELF dump.</summary>
internal enum PieceKind : byte
{
    /// <summary>The bytes are in the file.</summary>
    File,

    /// <summary>Past p_filesz but inside p_memsz: pages makedumpfile -E excluded.</summary>
    Excluded,
}

/// <summary>
/// The physical memory of an ELF dump as sorted, disjoint pieces, each taken from one PT_LOAD. Segments
/// may overlap: /proc/vmcore and makedumpfile -E describe the kernel text twice (its own segment and the
/// direct-map one), QEMU paging dumps once per virtual mapping. Where they overlap, bytes in the file win
/// over bytes past p_filesz, then the earlier program header wins. Lookups are a binary search with a
/// last-hit cache.
/// </summary>
internal sealed class ElfPhysicalMap
{
    private readonly ulong[] _starts;
    private readonly ulong[] _ends;
    private readonly long[] _fileOffsets;
    private readonly int[] _segments;
    private readonly PieceKind[] _kinds;
    private int _lastHit;

    private ElfPhysicalMap(List<(ulong Start, ulong End, long FileOffset, int Segment, PieceKind Kind)> pieces)
    {
        int n = pieces.Count;
        _starts = new ulong[n];
        _ends = new ulong[n];
        _fileOffsets = new long[n];
        _segments = new int[n];
        _kinds = new PieceKind[n];
        for (int i = 0; i < n; i++)
        {
            (_starts[i], _ends[i], _fileOffsets[i], _segments[i], _kinds[i]) = pieces[i];
        }
    }

    /// <summary>The number of pieces.</summary>
    public int Count => _starts.Length;

    /// <summary>The first address of piece <paramref name="i"/>.</summary>
    public ulong Start(int i) => _starts[i];

    /// <summary>The address after piece <paramref name="i"/>.</summary>
    public ulong End(int i) => _ends[i];

    /// <summary>The file offset of the first byte of piece <paramref name="i"/> (for <see cref="PieceKind.File"/>).</summary>
    public long FileOffset(int i) => _fileOffsets[i];

    /// <summary>The program header index piece <paramref name="i"/> comes from.</summary>
    public int Segment(int i) => _segments[i];

    /// <summary>What piece <paramref name="i"/> is.</summary>
    public PieceKind Kind(int i) => _kinds[i];

    /// <summary>
    /// Builds the map from PT_LOAD program headers (already checked for overflow and p_filesz ≤ p_memsz).
    /// </summary>
    /// <param name="loads">The PT_LOAD headers.</param>
    /// <param name="pastFileSizeIsExcluded">
    /// Whether bytes past p_filesz are excluded pages (makedumpfile) rather than not in the dump (QEMU
    /// writes p_filesz 0 for mappings of non-RAM).
    /// </param>
    public static ElfPhysicalMap Build(IReadOnlyList<ElfProgramHeader> loads, bool pastFileSizeIsExcluded)
    {
        // One interval for the file part of each segment and one for the rest; a lower (Rank, Order) wins.
        var intervals = new List<(ulong Start, ulong End, int Rank, int Order, long FileOffset, int Segment)>(loads.Count * 2);
        for (int order = 0; order < loads.Count; order++)
        {
            var ph = loads[order];
            ulong fileEnd = ph.PhysicalAddress + ph.FileSize;
            if (ph.FileSize > 0)
            {
                intervals.Add((ph.PhysicalAddress, fileEnd, 0, order, (long)ph.Offset, ph.Index));
            }

            if (pastFileSizeIsExcluded && ph.MemorySize > ph.FileSize)
            {
                intervals.Add((fileEnd, ph.PhysicalAddress + ph.MemorySize, 1, order, -1, ph.Index));
            }
        }

        intervals.Sort((a, b) => a.Start.CompareTo(b.Start));
        var bounds = new List<ulong>(intervals.Count * 2);
        foreach (var iv in intervals)
        {
            bounds.Add(iv.Start);
            bounds.Add(iv.End);
        }

        bounds.Sort();
        var pieces = new List<(ulong Start, ulong End, long FileOffset, int Segment, PieceKind Kind)>();
        var active = new SortedSet<(int Rank, int Order, int Interval)>();
        var ending = new PriorityQueue<(int Rank, int Order, int Interval), ulong>();
        int next = 0;
        int winnerOfLast = -1;
        for (int b = 0; b < bounds.Count; b++)
        {
            ulong x = bounds[b];
            if (b > 0 && bounds[b - 1] == x)
            {
                continue;
            }

            while (ending.TryPeek(out var done, out ulong end) && end <= x)
            {
                ending.Dequeue();
                active.Remove(done);
            }

            while (next < intervals.Count && intervals[next].Start == x)
            {
                var iv = intervals[next];
                var key = (iv.Rank, iv.Order, next);
                active.Add(key);
                ending.Enqueue(key, iv.End);
                next++;
            }

            int following = b + 1;
            while (following < bounds.Count && bounds[following] == x)
            {
                following++;
            }

            if (active.Count == 0 || following >= bounds.Count)
            {
                winnerOfLast = -1;
                continue;
            }

            int w = active.Min.Interval;
            var win = intervals[w];
            ulong pieceEnd = bounds[following];
            if (w == winnerOfLast && pieces[^1].End == x)
            {
                pieces[^1] = pieces[^1] with { End = pieceEnd };
                continue;
            }

            long offset = win.Rank == 0 ? win.FileOffset + (long)(x - win.Start) : -1;
            pieces.Add((x, pieceEnd, offset, win.Segment, win.Rank == 0 ? PieceKind.File : PieceKind.Excluded));
            winnerOfLast = w;
        }

        return new ElfPhysicalMap(pieces);
    }

    /// <summary>The piece holding <paramref name="address"/>, or -1.</summary>
    public int Find(ulong address)
    {
        int last = _lastHit;
        if ((uint)last < (uint)_starts.Length && address >= _starts[last] && address < _ends[last])
        {
            return last;
        }

        int i = FindFirstEndingAfter(address);
        if (i < _starts.Length && address >= _starts[i])
        {
            _lastHit = i;
            return i;
        }

        return -1;
    }

    /// <summary>The first piece that ends after <paramref name="address"/> (it holds the address or lies above it), or <see cref="Count"/>.</summary>
    public int FindFirstEndingAfter(ulong address)
    {
        int lo = 0, hi = _ends.Length;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (_ends[mid] <= address)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
