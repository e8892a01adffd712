using System.Buffers.Binary;

namespace Kdx.Core.Memory;

/// <summary>Throwing and typed reads over any <see cref="IMemoryReader"/>.</summary>
public static class MemoryReaderExtensions
{
    /// <summary>Reads exactly <c>destination.Length</c> bytes or throws a <see cref="MemoryFaultException"/> naming <paramref name="what"/>.</summary>
    public static void ReadExactly(this IMemoryReader reader, ulong address, Span<byte> destination, string what)
    {
        var status = reader.Read(address, destination, out int n);
        if (status != ReadStatus.Ok)
        {
            ulong at = address + (ulong)n;
            throw new MemoryFaultException(at, reader.Space, status, what, reader.ExplainFailure(at, status));
        }
    }

    /// <summary>Reads a little-endian unsigned 64-bit value.</summary>
    public static ulong ReadUInt64(this IMemoryReader reader, ulong address, string what)
    {
        Span<byte> b = stackalloc byte[8];
        reader.ReadExactly(address, b, what);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>Reads a little-endian unsigned 32-bit value.</summary>
    public static uint ReadUInt32(this IMemoryReader reader, ulong address, string what)
    {
        Span<byte> b = stackalloc byte[4];
        reader.ReadExactly(address, b, what);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    /// <summary>Reads a little-endian unsigned 64-bit value; false when it cannot be read.</summary>
    public static bool TryReadUInt64(this IMemoryReader reader, ulong address, out ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        if (reader.Read(address, b, out _) != ReadStatus.Ok)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt64LittleEndian(b);
        return true;
    }

    /// <summary>Reads a little-endian unsigned 32-bit value; false when it cannot be read.</summary>
    public static bool TryReadUInt32(this IMemoryReader reader, ulong address, out uint value)
    {
        Span<byte> b = stackalloc byte[4];
        if (reader.Read(address, b, out _) != ReadStatus.Ok)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt32LittleEndian(b);
        return true;
    }

    /// <summary>Reads a NUL-terminated string of at most <paramref name="maxLength"/> bytes (Latin-1, as crash prints it).</summary>
    public static string ReadCString(this IMemoryReader reader, ulong address, int maxLength, string what)
    {
        var buffer = new byte[Math.Min(maxLength, 4096)];
        var status = reader.Read(address, buffer, out int n);
        int end = Array.IndexOf(buffer, (byte)0, 0, n);
        if (end < 0)
        {
            if (status != ReadStatus.Ok)
            {
                ulong at = address + (ulong)n;
                throw new MemoryFaultException(at, reader.Space, status, what, reader.ExplainFailure(at, status));
            }

            end = n;
        }

        return System.Text.Encoding.Latin1.GetString(buffer, 0, end);
    }
}
