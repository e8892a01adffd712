using System.Text;

namespace Kdx.Fuzz.Dwarf;

/// <summary>LEB128 encoders.</summary>
public static class Leb
{
    public static void U(List<byte> into, ulong v, int minBytes = 1)
    {
        int n = 0;
        do
        {
            byte b = (byte)(v & 0x7f);
            v >>= 7;
            n++;
            if (v != 0 || n < minBytes)
            {
                b |= 0x80;
            }

            into.Add(b);
        }
        while (v != 0 || n < minBytes);
    }

    public static void S(List<byte> into, long v)
    {
        while (true)
        {
            byte b = (byte)(v & 0x7f);
            v >>= 7;
            bool done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
            into.Add(done ? b : (byte)(b | 0x80));
            if (done)
            {
                return;
            }
        }
    }
}

/// <summary>Little-endian fixed-size integers and unit lengths.</summary>
public static class Bytes
{
    public static void Put(List<byte> into, ulong v, int size)
    {
        for (int i = 0; i < size; i++)
        {
            into.Add((byte)(v >> (8 * i)));
        }
    }

    public static void Set(List<byte> into, int at, ulong v, int size)
    {
        for (int i = 0; i < size; i++)
        {
            into[at + i] = (byte)(v >> (8 * i));
        }
    }

    /// <summary>unit_length: 4 bytes, or 0xffffffff and 8 bytes in 64-bit DWARF.</summary>
    public static void UnitLength(List<byte> into, int length, bool dwarf64)
    {
        if (dwarf64)
        {
            Put(into, 0xffffffff, 4);
            Put(into, (ulong)length, 8);
        }
        else
        {
            Put(into, (ulong)length, 4);
        }
    }
}

/// <summary>A string section (.debug_str, .debug_line_str) that hands out offsets, each string once.</summary>
public sealed class StringPool
{
    private readonly Dictionary<string, int> _offsets = [];
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public int Offset(string s)
    {
        if (!_offsets.TryGetValue(s, out int offset))
        {
            offset = _bytes.Count;
            _offsets.Add(s, offset);
            _bytes.AddRange(Encoding.UTF8.GetBytes(s));
            _bytes.Add(0);
        }

        return offset;
    }

    public byte[] ToArray() => [.. _bytes];
}
