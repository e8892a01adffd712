namespace Kdx.Core.IO;

/// <summary>A window onto part of another source (it does not own the other source).</summary>
public sealed class SubSource : IByteSource, IMappedByteSource
{
    private readonly IByteSource _inner;
    private readonly long _start;

    /// <summary>Creates a window of <paramref name="length"/> bytes starting at <paramref name="start"/>.</summary>
    public SubSource(IByteSource inner, long start, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _inner = inner;
        _start = start;
        Length = Math.Max(0, Math.Min(length, inner.Length - start));
    }

    /// <inheritdoc/>
    public string Name => _inner.Name;

    /// <inheritdoc/>
    public long Length { get; }

    /// <inheritdoc/>
    public int Read(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset >= Length)
        {
            return 0;
        }

        int n = (int)Math.Min(destination.Length, Length - offset);
        return _inner.Read(_start + offset, destination[..n]);
    }

    /// <inheritdoc/>
    public bool TryGetSpan(long offset, int length, out ReadOnlySpan<byte> span)
    {
        if (_inner is IMappedByteSource m && offset >= 0 && length >= 0 && offset <= Length - length)
        {
            return m.TryGetSpan(_start + offset, length, out span);
        }

        span = default;
        return false;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
