using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Kdx.Core.Debug.Kallsyms;

/// <summary>
/// The token table of kallsyms and the decoding of kallsyms_names (scripts/kallsyms.c, kernel/kallsyms.c):
/// each name is a length (in tokens) and that many token numbers; a token number indexes
/// kallsyms_token_index, which gives the offset of a NUL-terminated string in kallsyms_token_table. The
/// first character of an expanded name is the symbol's nm type letter. Since Linux v6.1 (73bbb94466fd
/// "kallsyms: support "big" kernel symbols") a length with bit 7 set takes a second byte: the length is
/// ULEB128 with at most two bytes. Before it, a length byte was taken whole.
/// </summary>
internal sealed class KallsymsNames
{
    /// <summary>KSYM_NAME_LEN of Linux v6.1 is 512; a longer expansion is corrupt.</summary>
    public const int MaxNameLength = 1024;

    private readonly byte[] _tokenBytes;
    private readonly int[] _tokenStart;
    private readonly int[] _tokenLength;
    private readonly ulong[] _tokenWord;

    private KallsymsNames(byte[] bytes, int[] start, int[] length)
    {
        _tokenBytes = bytes;
        _tokenStart = start;
        _tokenLength = length;

        // Most tokens are a few characters: copied as one 8-byte word.
        _tokenWord = new ulong[256];
        Span<byte> word = stackalloc byte[sizeof(ulong)];
        for (int t = 0; t < 256; t++)
        {
            word.Clear();
            bytes.AsSpan(start[t], Math.Min(length[t], sizeof(ulong))).CopyTo(word);
            _tokenWord[t] = MemoryMarshal.Read<ulong>(word);
        }
    }

    /// <summary>
    /// Reads the 256 tokens: <paramref name="index"/> holds kallsyms_token_index (256 little-endian u16),
    /// <paramref name="table"/> enough of kallsyms_token_table to hold every token and its NUL.
    /// </summary>
    public static KallsymsNames FromTables(ReadOnlySpan<byte> table, ReadOnlySpan<byte> index, ulong tableAddress)
    {
        var bytes = new List<byte>(1024);
        var start = new int[256];
        var length = new int[256];
        for (int t = 0; t < 256; t++)
        {
            int at = BinaryPrimitives.ReadUInt16LittleEndian(index[(2 * t)..]);
            int end = at < table.Length ? table[at..].IndexOf((byte)0) : -1;
            if (end < 0)
            {
                throw new KdxException($"kallsyms_token_table at {tableAddress:x}: token {t} at offset {at} has no NUL within the {table.Length} bytes read");
            }

            start[t] = bytes.Count;
            length[t] = end;
            for (int i = 0; i < end; i++)
            {
                bytes.Add(table[at + i]);
            }
        }

        return new KallsymsNames([.. bytes], start, length);
    }

    /// <summary>
    /// Walks the lengths of <paramref name="count"/> names without expanding them, reading the table as far
    /// as it goes. Returns null when a length cannot be read or is 0 (<paramref name="problem"/> says which).
    /// </summary>
    public static Layout? Scan(MemoryWindow window, int count, bool longLengths, out string? problem)
    {
        var markers = new int[(count + 255) / 256];
        bool sawLongLength = false;
        int pos = 0;
        for (int i = 0; i < count; i++)
        {
            if ((i & 0xff) == 0)
            {
                markers[i >> 8] = pos;
            }

            if (pos >= window.Data.Length && !window.Ensure(pos + 1))
            {
                problem = $"symbol {i}'s length at offset {pos} cannot be read";
                return null;
            }

            int tokens = window.Data[pos];
            int header = 1;
            if ((tokens & 0x80) != 0)
            {
                sawLongLength = true;
                if (longLengths)
                {
                    if (!window.Ensure(pos + 2))
                    {
                        problem = $"symbol {i}'s two-byte length at offset {pos} cannot be read";
                        return null;
                    }

                    tokens = (tokens & 0x7f) | (window.Data[pos + 1] << 7);
                    header = 2;
                }
            }

            if (tokens == 0)
            {
                problem = $"symbol {i} at offset {pos} has length 0";
                return null;
            }

            pos += header + tokens;
        }

        if (!window.Ensure(pos))
        {
            problem = $"the last names end at offset {pos}, which cannot be read";
            return null;
        }

        problem = null;
        return new Layout(markers, pos, sawLongLength);
    }

    /// <summary>
    /// Expands <paramref name="count"/> names of a table <see cref="Scan"/> accepted. Returns false, with
    /// <paramref name="problem"/>, for a name without a type letter or one that expands past
    /// <see cref="MaxNameLength"/>.
    /// </summary>
    public bool Decode(ReadOnlySpan<byte> table, int count, bool longLengths, string[] names, char[] types, out string? problem)
    {
        // Room for a token word written whole past the end of the name.
        Span<byte> name = stackalloc byte[MaxNameLength + sizeof(ulong)];
        int pos = 0;
        for (int i = 0; i < count; i++)
        {
            int tokens = table[pos];
            int header = 1;
            if (longLengths && (tokens & 0x80) != 0)
            {
                tokens = (tokens & 0x7f) | (table[pos + 1] << 7);
                header = 2;
            }

            int n = 0;
            foreach (byte t in table.Slice(pos + header, tokens))
            {
                int len = _tokenLength[t];
                if (n + Math.Max(len, sizeof(ulong)) > name.Length)
                {
                    problem = $"symbol {i} at offset {pos} expands to more than {MaxNameLength} characters";
                    return false;
                }

                if (len <= sizeof(ulong))
                {
                    Unsafe.WriteUnaligned(ref name[n], _tokenWord[t]);
                }
                else
                {
                    _tokenBytes.AsSpan(_tokenStart[t], len).CopyTo(name[n..]);
                }

                n += len;
            }

            if (n < 2 || (!char.IsAsciiLetter((char)name[0]) && name[0] != (byte)'?'))
            {
                problem = $"symbol {i} at offset {pos} expands to \"{Encoding.Latin1.GetString(name[..n])}\": no type letter and name";
                return false;
            }

            types[i] = (char)name[0];
            names[i] = Encoding.Latin1.GetString(name[1..n]);
            pos += header + tokens;
        }

        problem = null;
        return true;
    }

    /// <summary>Where the names are.</summary>
    /// <param name="Markers">The offset of every 256th name, as kallsyms_markers should hold them.</param>
    /// <param name="End">Where the last name ends.</param>
    /// <param name="SawLongLength">Whether a length byte had bit 7 set (the two formats then differ).</param>
    public sealed record Layout(int[] Markers, int End, bool SawLongLength);
}
