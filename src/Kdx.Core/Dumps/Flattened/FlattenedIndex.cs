using System.Buffers.Binary;
using Kdx.Core.IO;

namespace Kdx.Core.Dumps.Flattened;

/// <summary>
/// The record map of a flattened stream: non-overlapping segments sorted by their offset in the
/// reassembled file, each pointing into the stream. Built from the record headers alone.
/// </summary>
internal sealed class FlattenedIndex
{
    private const long EndFlag = -1; // makedumpfile.h: END_FLAG_FLAT_HEADER

    public required long[] Starts { get; init; }

    public required long[] Lengths { get; init; }

    public required long[] StreamOffsets { get; init; }

    public long RecordCount { get; init; }

    public long EndMarkerOffset { get; init; } = -1;

    public long TruncatedAt { get; init; } = -1;

    public static FlattenedIndex Build(IByteSource stream, ParseLimits limits)
    {
        string file = stream.Name;
        var records = new List<Record>();
        long pos = FlattenedSource.HeaderSize;
        long end = -1, truncated = -1, count = 0;
        Span<byte> h = stackalloc byte[FlattenedSource.RecordHeaderSize];
        while (true)
        {
            if (stream.Read(pos, h) != h.Length)
            {
                truncated = pos; // cut short: no end marker
                break;
            }

            long offset = BinaryPrimitives.ReadInt64BigEndian(h);
            long size = BinaryPrimitives.ReadInt64BigEndian(h[8..]);
            if (offset == EndFlag)
            {
                end = pos;
                break;
            }

            if (offset < 0 || size < 0 || offset > long.MaxValue - size)
            {
                throw new DumpFormatException(file, pos, $"invalid flattened record header: offset {offset}, size {size}");
            }

            if (++count > limits.MaxFlattenedRecords)
            {
                throw new DumpFormatException(file, pos, $"more than {limits.MaxFlattenedRecords} flattened records");
            }

            long data = pos + FlattenedSource.RecordHeaderSize;
            long available = Math.Min(size, stream.Length - data);
            if (available > 0)
            {
                records.Add(new Record(offset, available, data, records.Count));
            }

            if (available < size)
            {
                truncated = pos; // the last record is cut short; keep what is there
                break;
            }

            pos = data + size;
        }

        // Sort by offset; among equal offsets the earlier record first, so the later one wins below.
        records.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Sequence.CompareTo(b.Sequence));
        var segments = Overlaps(records) ? LaterWins(records) : records;
        return new FlattenedIndex
        {
            Starts = segments.Select(s => s.Start).ToArray(),
            Lengths = segments.Select(s => s.Length).ToArray(),
            StreamOffsets = segments.Select(s => s.StreamOffset).ToArray(),
            RecordCount = count,
            EndMarkerOffset = end,
            TruncatedAt = truncated,
        };
    }

    private static bool Overlaps(List<Record> sorted)
    {
        long reach = long.MinValue;
        foreach (var r in sorted)
        {
            if (r.Start < reach)
            {
                return true;
            }

            reach = Math.Max(reach, r.Start + r.Length);
        }

        return false;
    }

    // Splits overlapping records at every boundary and keeps, for each piece, the record written last.
    private static List<Record> LaterWins(List<Record> sorted)
    {
        var points = new List<long>(sorted.Count * 2);
        foreach (var r in sorted)
        {
            points.Add(r.Start);
            points.Add(r.Start + r.Length);
        }

        points.Sort();
        var live = new PriorityQueue<Record, int>(Comparer<int>.Create(static (a, b) => b.CompareTo(a))); // latest first
        var result = new List<Record>();
        int next = 0;
        for (int p = 0; p + 1 < points.Count; p++)
        {
            long from = points[p], to = points[p + 1];
            if (from == to)
            {
                continue;
            }

            while (next < sorted.Count && sorted[next].Start <= from)
            {
                live.Enqueue(sorted[next], sorted[next].Sequence);
                next++;
            }

            while (live.Count > 0 && live.Peek().Start + live.Peek().Length <= from)
            {
                live.Dequeue(); // ended before this piece
            }

            if (live.Count == 0)
            {
                continue; // a hole
            }

            var top = live.Peek();
            long streamAt = top.StreamOffset + (from - top.Start);
            if (result.Count > 0 && result[^1].Sequence == top.Sequence && result[^1].Start + result[^1].Length == from)
            {
                result[^1] = result[^1] with { Length = to - result[^1].Start };
            }
            else
            {
                result.Add(new Record(from, to - from, streamAt, top.Sequence));
            }
        }

        return result;
    }

    private readonly record struct Record(long Start, long Length, long StreamOffset, int Sequence);
}
