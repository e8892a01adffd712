using System.Buffers.Binary;

namespace Kdx.Core.Dumps.Flattened;

/// <summary>
/// Writes makedumpfile's flattened format: the 4096-byte header ("makedumpfile", type 1 and version 1
/// as big-endian 64-bit values), one record per write (big-endian offset and size, then the bytes),
/// and the end marker (offset and size both -1). Any output stream will do, a pipe included.
/// </summary>
public sealed class FlattenedStreamWriter
{
    private readonly Stream _output;

    /// <summary>Starts a stream on <paramref name="output"/> by writing its header.</summary>
    public FlattenedStreamWriter(Stream output)
    {
        _output = output;
        Span<byte> header = stackalloc byte[FlattenedSource.HeaderSize];
        header.Clear();
        "makedumpfile"u8.CopyTo(header);
        BinaryPrimitives.WriteInt64BigEndian(header[16..], FlattenedSource.FlatHeaderType);
        BinaryPrimitives.WriteInt64BigEndian(header[24..], FlattenedSource.FlatHeaderVersion);
        _output.Write(header);
        BytesWritten = header.Length;
    }

    /// <summary>The number of bytes written to the stream so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Writes one record: <paramref name="data"/> for <paramref name="offset"/> of the reassembled file.</summary>
    public void WriteRecord(long offset, ReadOnlySpan<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Span<byte> h = stackalloc byte[FlattenedSource.RecordHeaderSize];
        BinaryPrimitives.WriteInt64BigEndian(h, offset);
        BinaryPrimitives.WriteInt64BigEndian(h[8..], data.Length);
        _output.Write(h);
        _output.Write(data);
        BytesWritten += h.Length + data.Length;
    }

    /// <summary>Writes the end marker (makedumpfile.h: END_FLAG_FLAT_HEADER).</summary>
    public void WriteEndMarker()
    {
        Span<byte> h = stackalloc byte[FlattenedSource.RecordHeaderSize];
        BinaryPrimitives.WriteInt64BigEndian(h, -1);
        BinaryPrimitives.WriteInt64BigEndian(h[8..], -1);
        _output.Write(h);
        BytesWritten += h.Length;
    }
}
