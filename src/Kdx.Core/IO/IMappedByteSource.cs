namespace Kdx.Core.IO;

/// <summary>
/// An optional capability of a <see cref="IByteSource"/>: direct, copy-free access to its bytes.
/// Check for it with <c>is</c>; the hot paths (page decompression) use it when present.
/// </summary>
public interface IMappedByteSource
{
    /// <summary>
    /// Gets a span over <paramref name="length"/> bytes at <paramref name="offset"/>, valid until the
    /// source is disposed. Returns false when the range is out of bounds or the source is not mapped.
    /// </summary>
    bool TryGetSpan(long offset, int length, out ReadOnlySpan<byte> span);
}
