namespace Kdx.Core.IO;

/// <summary>Bytes held in memory: for tests, synthetic dumps and small decoded streams.</summary>
public sealed class MemoryByteSource(string name, ReadOnlyMemory<byte> bytes) : IByteSource, IMappedByteSource
{
    /// <inheritdoc/>
    public string Name { get; } = name;

    /// <inheritdoc/>
    public long Length => bytes.Length;

    /// <inheritdoc/>
    public int Read(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset >= bytes.Length)
        {
            return 0;
        }

        int n = (int)Math.Min(destination.Length, bytes.Length - offset);
        bytes.Span.Slice((int)offset, n).CopyTo(destination);
        return n;
    }

    /// <inheritdoc/>
    public bool TryGetSpan(long offset, int length, out ReadOnlySpan<byte> span)
    {
        if (offset < 0 || length < 0 || offset > bytes.Length - length)
        {
            span = default;
            return false;
        }

        span = bytes.Span.Slice((int)offset, length);
        return true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
