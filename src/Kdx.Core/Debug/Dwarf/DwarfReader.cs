using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// A forward cursor over a DWARF section: fixed-size little-endian integers, LEB128, offsets of the
/// unit's size and C strings. Every read is bounds-checked; running off the end throws a
/// <see cref="Kdx.Core.Dumps.DumpFormatException"/> naming the section and offset.
/// </summary>
internal ref struct DwarfReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly DwarfSection _section;

    public DwarfReader(DwarfSection section, ReadOnlySpan<byte> data, int position)
    {
        _section = section;
        _data = data;
        Position = position;
    }

    /// <summary>The offset of the next byte.</summary>
    public int Position { get; set; }

    /// <summary>The section length.</summary>
    public readonly int Length => _data.Length;

    /// <summary>The section.</summary>
    public readonly DwarfSection Section => _section;

    /// <summary>Whether the cursor is at or past the end.</summary>
    public readonly bool AtEnd => Position >= _data.Length;

    /// <summary>The bytes left after the cursor (0 when a jump put it past the end).</summary>
    public readonly ulong Remaining => (uint)Position >= (uint)_data.Length ? 0 : (ulong)(_data.Length - Position);

    /// <summary>The section's bytes.</summary>
    public readonly ReadOnlySpan<byte> Data => _data;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte U8()
    {
        int p = Position;
        if ((uint)p >= (uint)_data.Length)
        {
            ThrowTruncated(1);
        }

        Position = p + 1;
        return _data[p];
    }

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint U24()
    {
        var b = Take(3);
        return (uint)(b[0] | (b[1] << 8) | (b[2] << 16));
    }

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>An unsigned integer of 1, 2, 4 or 8 bytes.</summary>
    public ulong Unsigned(int size) => size switch
    {
        1 => U8(),
        2 => U16(),
        4 => U32(),
        8 => U64(),
        3 => U24(),
        _ => throw _section.Error(Position, $"unsupported integer size {size}"),
    };

    /// <summary>An offset of the unit's format: 4 bytes (32-bit DWARF) or 8 (64-bit DWARF).</summary>
    public ulong Offset(int offsetSize) => offsetSize == 8 ? U64() : U32();

    /// <summary>An unsigned LEB128 number; bits beyond 64 are dropped (producers may pad).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Uleb()
    {
        int p = Position;
        if ((uint)p < (uint)_data.Length && _data[p] < 0x80)
        {
            Position = p + 1;
            return _data[p];
        }

        return UlebSlow();
    }

    /// <summary>A signed LEB128 number.</summary>
    public long Sleb()
    {
        long result = 0;
        int shift = 0;
        byte b;
        do
        {
            b = U8();
            if (shift < 64)
            {
                result |= (long)(b & 0x7f) << shift;
            }

            shift += 7;
        }
        while ((b & 0x80) != 0);

        if (shift < 64 && (b & 0x40) != 0)
        {
            result |= -1L << shift;
        }

        return result;
    }

    /// <summary>Skips a LEB128 number.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SkipLeb()
    {
        int p = Position;
        int end = _data.Length;
        while (p < end)
        {
            if (_data[p++] < 0x80)
            {
                Position = p;
                return;
            }
        }

        Position = end;
        ThrowTruncated(1);
    }

    /// <summary>Skips <paramref name="count"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Skip(ulong count)
    {
        if (count > Remaining)
        {
            ThrowTruncated(count);
        }

        Position += (int)count;
    }

    /// <summary>The next <paramref name="count"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> Take(int count)
    {
        int p = Position;
        if ((uint)p > (uint)_data.Length || (uint)count > (uint)(_data.Length - p))
        {
            ThrowTruncated((ulong)count);
        }

        Position = p + count;
        return _data.Slice(p, count);
    }

    /// <summary>The next <paramref name="count"/> bytes, a count read from the file.</summary>
    public ReadOnlySpan<byte> Take(ulong count)
    {
        if (count > Remaining)
        {
            ThrowTruncated(count);
        }

        return Take((int)count);
    }

    /// <summary>Skips a NUL-terminated string and returns its bytes (without the NUL).</summary>
    public ReadOnlySpan<byte> CString()
    {
        var rest = _data[Position..];
        int nul = rest.IndexOf((byte)0);
        if (nul < 0)
        {
            throw _section.Error(Position, "a string runs past the end of the section (no NUL)");
        }

        Position += nul + 1;
        return rest[..nul];
    }

    private ulong UlebSlow()
    {
        ulong result = 0;
        int shift = 0;
        byte b;
        do
        {
            b = U8();
            if (shift < 64)
            {
                result |= (ulong)(b & 0x7f) << shift;
            }

            shift += 7;
        }
        while ((b & 0x80) != 0);

        return result;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowTruncated(ulong count) =>
        throw _section.Error(Position, $"reading {count} byte(s) runs past the end of the section ({_data.Length} bytes)");
}
