using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Memory;

namespace Kdx.Commands.Memory;

/// <summary>How <c>rd</c> prints each value.</summary>
internal enum ValueFormat
{
    /// <summary>Zero-padded hexadecimal (the default).</summary>
    Hex,

    /// <summary>Signed decimal (-d).</summary>
    Signed,

    /// <summary>Unsigned decimal (-D).</summary>
    Unsigned,
}

/// <summary>What <c>rd</c> displays and how (the result of its options).</summary>
/// <param name="Size">1, 2, 4 or 8 bytes per value; ignored for <paramref name="Ascii"/>.</param>
/// <param name="Ascii">-a: printable characters only, 60 to a line.</param>
/// <param name="Format">hex, signed or unsigned decimal.</param>
/// <param name="Symbols">64-bit hex values inside the kernel's symbols are printed as symbol+offset.</param>
/// <param name="AsciiColumn">The ASCII translation at the end of each line.</param>
/// <param name="NetworkOrder">-N: 16- and 32-bit values are byte-swapped.</param>
internal sealed record DisplayFormat(int Size, bool Ascii, ValueFormat Format, bool Symbols, bool AsciiColumn, bool NetworkOrder)
{
    /// <summary>The "type" crash names in a read error, e.g. "64-bit KVADDR".</summary>
    public string ReadType(MemoryType memory) => Ascii ? "ascii" : $"{Size * 8}-bit {memory.TypeName()}";
}

/// <summary>
/// The line layout of crash's <c>rd</c> (memory.c display_memory): the address right-aligned in 16 columns and
/// ":  ", then 16 bytes, 8 shorts, 4 ints or 2 longs per line, each followed by a space; hex output is followed
/// by an ASCII column that starts at a fixed column (bytes 0x20–0x7e as themselves, others as '.'); decimal output
/// is right-aligned in crash's widths; -a prints runs of printable characters, 60 to a line, starting a new line
/// after anything unprintable. Reads go page run by page run; when one fails, the values read so far are
/// printed and the read error is thrown.
/// </summary>
internal sealed class MemoryDisplay
{
    /// <summary>A count for -a without a count: stop at the first unprintable byte.</summary>
    public const long Unlimited = long.MaxValue;

    private const int AddressWidth = 16;
    private const int AsciiPerLine = 60;
    private const int ChunkBytes = 4096;

    private readonly CommandContext _context;
    private readonly IMemoryReader _reader;
    private readonly DisplayFormat _format;
    private readonly Func<ulong, string?> _symbolize;
    private readonly Func<ReadStatus, ulong, string, Exception> _fault;
    private readonly StringBuilder _line = new(128);
    private readonly StringBuilder _ascii = new(16);
    private int _inLine;
    private bool _displayed;

    /// <summary>Creates a display.</summary>
    /// <param name="context">Where the lines go.</param>
    /// <param name="reader">The memory to read.</param>
    /// <param name="format">What to print.</param>
    /// <param name="symbolize">symbol+offset for a value, or null (used with <see cref="DisplayFormat.Symbols"/>).</param>
    /// <param name="fault">Builds the exception for a read that failed at an address, given what was read.</param>
    public MemoryDisplay(CommandContext context, IMemoryReader reader, DisplayFormat format, Func<ulong, string?> symbolize,
        Func<ReadStatus, ulong, string, Exception> fault)
    {
        _context = context;
        _reader = reader;
        _format = format;
        _symbolize = symbolize;
        _fault = fault;
    }

    /// <summary>Displays <paramref name="count"/> values (or characters) from <paramref name="address"/>.</summary>
    /// <param name="address">The first address.</param>
    /// <param name="count">How many values; <see cref="Unlimited"/> with -a to stop at the first unprintable byte.</param>
    /// <param name="readType">The "type" of a read error, e.g. "64-bit KVADDR".</param>
    public void Show(ulong address, long count, string readType)
    {
        int size = _format.Ascii ? 1 : _format.Size;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long left = count;
            while (left > 0)
            {
                int items = (int)Math.Min(left, ChunkBytes / size);
                var span = buffer.AsSpan(0, items * size);
                var status = _reader.Read(address, span, out int read);
                int complete = status == ReadStatus.Ok ? items : read / size;
                for (int i = 0; i < complete; i++)
                {
                    ulong at = unchecked(address + (ulong)(i * size));
                    bool more = _format.Ascii ? Character(at, span[i], count) : Value(at, span.Slice(i * size, size));
                    if (!more)
                    {
                        EndAscii();
                        return;
                    }
                }

                if (status != ReadStatus.Ok)
                {
                    EndLine();
                    throw _fault(status, unchecked(address + (ulong)read), readType);
                }

                left -= items;
                address = unchecked(address + (ulong)span.Length);
            }

            if (_format.Ascii)
            {
                // crash ends a counted -a display with a newline even when nothing was printable.
                if (_line.Length > 0 || !_displayed)
                {
                    _context.WriteLine(_line.ToString());
                }
            }
            else
            {
                EndLine();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The address column: right-aligned in 16 columns, then ":  ".</summary>
    internal static string AddressColumn(ulong address) =>
        address.ToString("x", CultureInfo.InvariantCulture).PadLeft(AddressWidth) + ":  ";

    /// <summary>Where the ASCII column starts in a line of values of <paramref name="size"/> bytes (crash's ASCII_START_*).</summary>
    internal static int AsciiStart(int size) => AddressWidth + size switch
    {
        1 => 51,
        2 => 43,
        4 => 39,
        _ => 37,
    };

    private static bool Printable(byte b) => b is >= 0x20 and < 0x7f;

    // One value of a hex or decimal display; always continues.
    private bool Value(ulong address, ReadOnlySpan<byte> bytes)
    {
        int size = bytes.Length;
        if (_inLine == 0)
        {
            _line.Clear().Append(AddressColumn(address));
            _ascii.Clear();
        }

        ulong value = size switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        };
        if (_format.NetworkOrder && size is 2 or 4)
        {
            value = size == 2 ? BinaryPrimitives.ReverseEndianness((ushort)value) : BinaryPrimitives.ReverseEndianness((uint)value);
        }

        _line.Append(Text(value, size)).Append(' ');
        if (_format.AsciiColumn)
        {
            // The ASCII column shows the value as printed (after -N), lowest byte first.
            for (int i = 0; i < size; i++)
            {
                byte b = (byte)(value >> (8 * i));
                _ascii.Append(Printable(b) ? (char)b : '.');
            }
        }

        if (++_inLine == 16 / size)
        {
            EndLine();
        }

        return true;
    }

    private string Text(ulong value, int size)
    {
        var ci = CultureInfo.InvariantCulture;
        if (_format.Format == ValueFormat.Hex)
        {
            if (_format.Symbols && size == 8 && _symbolize(value) is { Length: > 0 } symbol)
            {
                return symbol.PadRight(16);
            }

            return value.ToString("x" + (size * 2).ToString(ci), ci);
        }

        // crash's printf widths: %15ld/%20lu, %12d/%12u, %5d, %3d (bytes and shorts are never negative there).
        return (size, _format.Format) switch
        {
            (8, ValueFormat.Signed) => ((long)value).ToString(ci).PadLeft(15),
            (8, _) => value.ToString(ci).PadLeft(20),
            (4, ValueFormat.Signed) => ((int)(uint)value).ToString(ci).PadLeft(12),
            (4, _) => value.ToString(ci).PadLeft(12),
            (2, _) => value.ToString(ci).PadLeft(5),
            _ => value.ToString(ci).PadLeft(3),
        };
    }

    // One byte of an -a display; false when an unlimited display reaches an unprintable byte.
    private bool Character(ulong address, byte b, long count)
    {
        if (!Printable(b))
        {
            if (count == Unlimited)
            {
                return false;
            }

            _inLine = 0;
            return true;
        }

        if (_inLine % AsciiPerLine == 0)
        {
            if (_displayed)
            {
                _context.WriteLine(_line.ToString());
            }

            _line.Clear().Append(AddressColumn(address));
        }

        _line.Append((char)b);
        _displayed = true;
        _inLine++;
        return true;
    }

    private void EndAscii()
    {
        if (_line.Length > 0)
        {
            _context.WriteLine(_line.ToString());
        }
    }

    // Ends a line of values: the ASCII column is padded to its fixed start (only a last, short line needs it).
    private void EndLine()
    {
        if (_format.Ascii)
        {
            EndAscii();
            _line.Clear();
            return;
        }

        if (_inLine == 0)
        {
            return;
        }

        if (_format.AsciiColumn && _ascii.Length > 0)
        {
            int size = _format.Size;
            int width = AddressWidth + 3 + (_inLine * ((size * 2) + 1));
            _line.Append(' ', Math.Max(0, AsciiStart(size) - width)).Append("  ").Append(_ascii);
        }

        _context.WriteLine(_line.ToString());
        _inLine = 0;
    }
}
