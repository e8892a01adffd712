using System.Buffers.Binary;
using Kdx.Core.Dumps;

namespace Kdx.Core.IO;

/// <summary>Checked reads from a <see cref="IByteSource"/> for parsers of hostile input.</summary>
public static class ByteSourceExtensions
{
    /// <summary>
    /// Reads exactly <c>destination.Length</c> bytes or throws a <see cref="DumpFormatException"/>
    /// that says the file is truncated at the first missing offset and what was being read.
    /// </summary>
    public static void ReadExactly(this IByteSource source, long offset, Span<byte> destination, string what)
    {
        if (offset < 0)
        {
            throw new DumpFormatException(source.Name, offset, $"negative offset while reading {what}");
        }

        int n = source.Read(offset, destination);
        if (n != destination.Length)
        {
            throw DumpFormatException.Truncated(source.Name, offset + n, what);
        }
    }

    /// <summary>Reads a little-endian 32-bit value, or throws if the source ends before it.</summary>
    public static uint ReadUInt32(this IByteSource source, long offset, string what)
    {
        Span<byte> b = stackalloc byte[4];
        source.ReadExactly(offset, b, what);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    /// <summary>Reads a little-endian 64-bit value, or throws if the source ends before it.</summary>
    public static ulong ReadUInt64(this IByteSource source, long offset, string what)
    {
        Span<byte> b = stackalloc byte[8];
        source.ReadExactly(offset, b, what);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>Reads <paramref name="count"/> bytes into a new array, or throws if the source ends first.</summary>
    public static byte[] ReadBytes(this IByteSource source, long offset, int count, string what)
    {
        var bytes = new byte[count];
        source.ReadExactly(offset, bytes, what);
        return bytes;
    }
}
