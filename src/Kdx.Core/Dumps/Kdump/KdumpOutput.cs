using Kdx.Core.Dumps.Flattened;

namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// Positioned writes of a kdump file: seeks in a seekable stream, or records of a flattened stream.
/// Bytes never written are holes (zeros), as in makedumpfile's output.
/// </summary>
internal sealed class KdumpOutput
{
    private readonly Stream _stream;
    private readonly FlattenedStreamWriter? _flat;

    public KdumpOutput(Stream stream, bool flattened)
    {
        if (!flattened && !stream.CanSeek)
        {
            throw new ArgumentException("a compressed kdump needs a seekable output; write the flattened format to a pipe", nameof(stream));
        }

        _stream = stream;
        _flat = flattened ? new FlattenedStreamWriter(stream) : null;
    }

    /// <summary>The size of the file written (the reassembled size for a flattened stream).</summary>
    public long Size { get; private set; }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (_flat != null)
        {
            _flat.WriteRecord(offset, data);
        }
        else
        {
            _stream.Position = offset;
            _stream.Write(data);
        }

        Size = Math.Max(Size, offset + data.Length);
    }

    public void Finish()
    {
        if (_flat != null)
        {
            _flat.WriteEndMarker();
        }
        else if (_stream.Length < Size)
        {
            _stream.SetLength(Size);
        }

        _stream.Flush();
    }
}

/// <summary>A buffered run of consecutive bytes of the output (the page descriptors, or the page data).</summary>
internal sealed class KdumpRegion(KdumpOutput output, long start, int capacity)
{
    private readonly byte[] _buffer = new byte[capacity];
    private int _used;

    /// <summary>The file offset of the next byte appended.</summary>
    public long Position { get; private set; } = start;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_used + data.Length > _buffer.Length)
        {
            Flush();
        }

        if (data.Length > _buffer.Length)
        {
            output.Write(Position, data);
        }
        else
        {
            data.CopyTo(_buffer.AsSpan(_used));
            _used += data.Length;
        }

        Position += data.Length;
    }

    public void Flush()
    {
        output.Write(Position - _used, _buffer.AsSpan(0, _used));
        _used = 0;
    }
}
