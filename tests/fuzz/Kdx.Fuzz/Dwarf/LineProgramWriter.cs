using System.Text;

namespace Kdx.Fuzz.Dwarf;

/// <summary>
/// Writes one line program (DWARF 5 §6.2; the DWARF 4 header too): directories, files, and rows
/// encoded with the standard, extended and special opcodes a compiler uses.
/// </summary>
public sealed class LineProgramWriter
{
    private const byte OpcodeBase = 13;
    private const sbyte LineBase = -5;
    private const byte LineRange = 14;
    private readonly List<byte> _program = [];
    private ulong _address;
    private int _file = 1, _line = 1;
    private bool _stmt = true;

    /// <summary>Directory names (DWARF 5: entry 0 is the compilation directory).</summary>
    public List<string> Directories { get; } = [];

    /// <summary>File names with their directory index (DWARF 5: entry 0 is the primary source file).</summary>
    public List<(string Name, int Directory)> Files { get; } = [];

    /// <summary>Writes paths as DW_FORM_line_strp (true) or DW_FORM_string (DWARF 5 only).</summary>
    public bool UseLineStrp { get; set; } = true;

    /// <summary>Adds an MD5 column (DW_FORM_data16) to the DWARF 5 file table, as gcc does with -gdwarf-5.</summary>
    public bool WithMd5 { get; set; }

    /// <summary>Starts a sequence at <paramref name="address"/>.</summary>
    public LineProgramWriter Start(ulong address)
    {
        Extended(2, BitConverter.GetBytes(address));
        _address = address;
        return this;
    }

    /// <summary>Emits a row at <paramref name="address"/> for file:line, with is_stmt as given.</summary>
    public LineProgramWriter Row(ulong address, int file, int line, bool stmt = true)
    {
        if (file != _file)
        {
            _program.Add(4);
            Leb.U(_program, (ulong)file);
            _file = file;
        }

        if (stmt != _stmt)
        {
            _program.Add(6);
            _stmt = stmt;
        }

        long lineDelta = line - _line;
        ulong addrDelta = address - _address;
        long adjusted = lineDelta - LineBase;
        ulong special = adjusted is >= 0 and < LineRange ? ((ulong)adjusted + (LineRange * addrDelta) + OpcodeBase) : ulong.MaxValue;
        if (special <= 255)
        {
            _program.Add((byte)special);
        }
        else
        {
            if (lineDelta != 0)
            {
                _program.Add(3);
                Leb.S(_program, lineDelta);
            }

            if (addrDelta != 0)
            {
                _program.Add(2);
                Leb.U(_program, addrDelta);
            }

            _program.Add(1);
        }

        _address = address;
        _line = line;
        return this;
    }

    /// <summary>Ends the sequence at <paramref name="end"/> (the address just past it).</summary>
    public LineProgramWriter End(ulong end)
    {
        if (end != _address)
        {
            _program.Add(2);
            Leb.U(_program, end - _address);
        }

        Extended(1, []);
        _address = 0;
        _file = 1;
        _line = 1;
        _stmt = true;
        return this;
    }

    /// <summary>The whole program for a unit of <paramref name="version"/>.</summary>
    public byte[] Build(int version, bool dwarf64, StringPool lineStr)
    {
        var header = new List<byte>
        {
            1, // minimum_instruction_length
        };
        if (version >= 4)
        {
            header.Add(1); // maximum_operations_per_instruction
        }

        header.Add(1); // default_is_stmt
        header.Add(unchecked((byte)LineBase));
        header.Add(LineRange);
        header.Add(OpcodeBase);
        header.AddRange(new byte[] { 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1 });
        int offsetSize = dwarf64 ? 8 : 4;
        if (version >= 5)
        {
            header.Add(1); // directory_entry_format_count
            Leb.U(header, 1); // DW_LNCT_path
            Leb.U(header, UseLineStrp ? Dw.FormLineStrp : Dw.FormString);
            Leb.U(header, (ulong)Directories.Count);
            foreach (var d in Directories)
            {
                Path(header, d, UseLineStrp ? lineStr : null, offsetSize);
            }

            header.Add((byte)(WithMd5 ? 3 : 2));
            Leb.U(header, 1);
            Leb.U(header, UseLineStrp ? Dw.FormLineStrp : Dw.FormString);
            Leb.U(header, 2); // DW_LNCT_directory_index
            Leb.U(header, Dw.FormUdata);
            if (WithMd5)
            {
                Leb.U(header, 5); // DW_LNCT_MD5
                Leb.U(header, Dw.FormData16);
            }

            Leb.U(header, (ulong)Files.Count);
            foreach (var (name, dir) in Files)
            {
                Path(header, name, UseLineStrp ? lineStr : null, offsetSize);
                Leb.U(header, (ulong)dir);
                if (WithMd5)
                {
                    header.AddRange(new byte[16]);
                }
            }
        }
        else
        {
            foreach (var d in Directories)
            {
                header.AddRange(Encoding.UTF8.GetBytes(d));
                header.Add(0);
            }

            header.Add(0);
            foreach (var (name, dir) in Files)
            {
                header.AddRange(Encoding.UTF8.GetBytes(name));
                header.Add(0);
                Leb.U(header, (ulong)dir);
                Leb.U(header, 0);
                Leb.U(header, 0);
            }

            header.Add(0);
        }

        var afterLength = new List<byte>();
        Bytes.Put(afterLength, (ulong)version, 2);
        if (version >= 5)
        {
            afterLength.Add(8); // address_size
            afterLength.Add(0); // segment_selector_size
        }

        Bytes.Put(afterLength, (ulong)header.Count, offsetSize);
        afterLength.AddRange(header);
        afterLength.AddRange(_program);
        var result = new List<byte>();
        Bytes.UnitLength(result, afterLength.Count, dwarf64);
        result.AddRange(afterLength);
        return [.. result];
    }

    private static void Path(List<byte> into, string path, StringPool? lineStr, int offsetSize)
    {
        // DWARF 5 paths: line_strp or an inline string.
        if (lineStr is not null)
        {
            Bytes.Put(into, (ulong)lineStr.Offset(path), offsetSize);
        }
        else
        {
            into.AddRange(Encoding.UTF8.GetBytes(path));
            into.Add(0);
        }
    }

    private void Extended(byte op, byte[] operands)
    {
        _program.Add(0);
        Leb.U(_program, (ulong)(operands.Length + 1));
        _program.Add(op);
        _program.AddRange(operands);
    }
}
