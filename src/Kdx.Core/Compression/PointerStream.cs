namespace Kdx.Core.Compression;

/// <summary>
/// A stream over memory the caller keeps pinned for one call, so a <see cref="System.IO.Compression.ZLibStream"/>
/// can read a span or write into one. Reused across calls: <see cref="Reset"/> points it at new memory.
/// Writing past the end drops the bytes and sets <see cref="Overflowed"/> instead of throwing.
/// </summary>
internal sealed unsafe class PointerStream : Stream
{
    private byte* _start;
    private int _length;
    private int _position;

    /// <summary>True once a write did not fit.</summary>
    public bool Overflowed { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>Points the stream at <paramref name="length"/> bytes at <paramref name="start"/>.</summary>
    public void Reset(byte* start, int length)
    {
        _start = start;
        _length = length;
        _position = 0;
        Overflowed = false;
    }

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(buffer.Length, _length - _position);
        new ReadOnlySpan<byte>(_start + _position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Overflowed || buffer.Length > _length - _position)
        {
            Overflowed = true;
            return;
        }

        buffer.CopyTo(new Span<byte>(_start + _position, buffer.Length));
        _position += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
