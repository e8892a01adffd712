using System.Buffers.Binary;
using Kdx.Core.IO;

namespace Kdx.Core.Dumps.Flattened;

/// <summary>
/// The file a makedumpfile flattened stream (<c>makedumpfile -F</c>, QEMU's kdump-* output) stands for,
/// reassembled virtually. The stream is a 4096-byte header, then records of {offset, size} (big-endian
/// 64-bit, makedumpfile.h: struct makedumpfile_data_header) each followed by <c>size</c> bytes meant for
/// that offset of the file, then an end marker whose offset is -1 (END_FLAG_FLAT_HEADER).
/// Opening seeks from record header to record header, never reading the data, and builds a sorted
/// map; reads then go straight to the stream. Where records overlap the later one wins (as when
/// <c>makedumpfile -R</c> replays them); bytes no record wrote read as zeros, like the holes of the
/// file <c>makedumpfile -R</c> would write.
/// </summary>
public sealed class FlattenedSource : IByteSource, IMappedByteSource
{
    /// <summary>The size of the stream header (makedumpfile.h: MAX_SIZE_MDF_HEADER).</summary>
    public const int HeaderSize = 4096;

    /// <summary>The size of a record header.</summary>
    public const int RecordHeaderSize = 16;

    /// <summary>The header's type (TYPE_FLAT_HEADER).</summary>
    public const long FlatHeaderType = 1;

    /// <summary>The header's version (VERSION_FLAT_HEADER).</summary>
    public const long FlatHeaderVersion = 1;

    private readonly IByteSource _inner;
    private readonly long[] _starts; // reassembled offset of each segment, sorted
    private readonly long[] _lengths;
    private readonly long[] _streamOffsets; // where each segment's bytes are in the stream

    private FlattenedSource(IByteSource inner, FlattenedIndex index)
    {
        _inner = inner;
        _starts = index.Starts;
        _lengths = index.Lengths;
        _streamOffsets = index.StreamOffsets;
        RecordCount = index.RecordCount;
        EndMarkerOffset = index.EndMarkerOffset;
        TruncatedAt = index.TruncatedAt;
        Length = _starts.Length == 0 ? 0 : _starts[^1] + _lengths[^1];
    }

    /// <inheritdoc/>
    public string Name => _inner.Name;

    /// <summary>The length of the reassembled file.</summary>
    public long Length { get; }

    /// <summary>The stream itself.</summary>
    public IByteSource Stream => _inner;

    /// <summary>The number of data records in the stream.</summary>
    public long RecordCount { get; }

    /// <summary>The stream offset of the end marker, or -1 when the stream has none (it was cut short).</summary>
    public long EndMarkerOffset { get; }

    /// <summary>
    /// The stream offset where a cut-short stream stops making sense (a partial record header or record), or -1.
    /// The records before it are used; what they would have written after it is missing.
    /// </summary>
    public long TruncatedAt { get; }

    /// <summary>Whether <paramref name="source"/> starts with a flattened stream header.</summary>
    public static bool IsFlattened(IByteSource source)
    {
        Span<byte> head = stackalloc byte[16];
        return source.Read(0, head) == 16 && head[..12].SequenceEqual("makedumpfile"u8) && head[12..].IndexOfAnyExcept((byte)0) < 0;
    }

    /// <summary>
    /// Indexes the flattened stream <paramref name="inner"/> (the new source owns it).
    /// Throws <see cref="DumpFormatException"/> when the header or a record header is invalid.
    /// </summary>
    public static FlattenedSource Open(IByteSource inner, ParseLimits limits)
    {
        string file = inner.Name;
        if (!IsFlattened(inner))
        {
            throw new DumpFormatException(file, 0, "not a makedumpfile flattened file: no \"makedumpfile\" signature");
        }

        // The type and version are big-endian so that any architecture can reassemble the stream.
        Span<byte> head = stackalloc byte[32];
        inner.ReadExactly(0, head, "the flattened header");
        long type = BinaryPrimitives.ReadInt64BigEndian(head[16..]);
        long version = BinaryPrimitives.ReadInt64BigEndian(head[24..]);
        if (type != FlatHeaderType)
        {
            throw new DumpFormatException(file, 16, $"unsupported flattened header type {type} (expected {FlatHeaderType})");
        }

        if (version != FlatHeaderVersion)
        {
            throw new DumpFormatException(file, 24, $"unsupported flattened header version {version} (expected {FlatHeaderVersion})");
        }

        return new FlattenedSource(inner, FlattenedIndex.Build(inner, limits));
    }

    /// <inheritdoc/>
    public int Read(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset >= Length || destination.IsEmpty)
        {
            return 0;
        }

        int total = (int)Math.Min(destination.Length, Length - offset);
        int done = 0;
        int i = Math.Max(0, SegmentAtOrBefore(offset));
        while (done < total)
        {
            long at = offset + done;
            while (i < _starts.Length && _starts[i] + _lengths[i] <= at)
            {
                i++;
            }

            var rest = destination[done..total];
            if (i >= _starts.Length || _starts[i] > at)
            {
                // A hole: zeros up to the next segment.
                long next = i < _starts.Length ? _starts[i] : Length;
                int zeros = (int)Math.Min(rest.Length, next - at);
                rest[..zeros].Clear();
                done += zeros;
                continue;
            }

            int n = (int)Math.Min(rest.Length, _starts[i] + _lengths[i] - at);
            int got = _inner.Read(_streamOffsets[i] + (at - _starts[i]), rest[..n]);
            done += got;
            if (got < n)
            {
                break; // the stream shrank under us
            }
        }

        return done;
    }

    /// <inheritdoc/>
    public bool TryGetSpan(long offset, int length, out ReadOnlySpan<byte> span)
    {
        span = default;
        if (_inner is not IMappedByteSource mapped || offset < 0 || length < 0 || offset > Length - length)
        {
            return false;
        }

        int i = SegmentAtOrBefore(offset);
        if (i < 0 || _starts[i] + _lengths[i] < offset + length)
        {
            return false; // spans a hole or two records
        }

        return mapped.TryGetSpan(_streamOffsets[i] + (offset - _starts[i]), length, out span);
    }

    /// <summary>Releases the stream.</summary>
    public void Dispose() => _inner.Dispose();

    // The last segment starting at or before offset, or -1.
    private int SegmentAtOrBefore(long offset)
    {
        int i = Array.BinarySearch(_starts, offset);
        return i >= 0 ? i : ~i - 1;
    }
}
