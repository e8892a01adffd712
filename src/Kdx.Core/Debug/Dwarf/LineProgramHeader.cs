namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// The header of a line program (DWARF 5 §6.2.4; the DWARF 2–4 layout too): the parameters of the
/// state machine and the directory and file tables. File names are spelled as crash prints them:
/// a relative name joined with its directory, and a relative directory with the compilation directory.
/// </summary>
internal sealed class LineProgramHeader
{
    // DW_LNCT_* content types of DWARF 5 directory and file entries (§6.2.4.1).
    private const ulong LnctPath = 1;
    private const ulong LnctDirectoryIndex = 2;

    private LineProgramHeader()
    {
    }

    public int Version { get; private init; }

    public int AddressSize { get; private init; }

    public byte MinimumInstructionLength { get; private init; }

    public bool DefaultIsStatement { get; private init; }

    public sbyte LineBase { get; private init; }

    public byte LineRange { get; private init; }

    public byte OpcodeBase { get; private init; }

    public byte[] StandardOpcodeLengths { get; private init; } = [];

    /// <summary>Where the opcodes start in .debug_line.</summary>
    public int ProgramStart { get; private init; }

    /// <summary>Where the program ends.</summary>
    public int ProgramEnd { get; private init; }

    /// <summary>File names by file number (DWARF 5 numbers from 0, earlier versions from 1; slot 0 then repeats the unit's name).</summary>
    public List<string> Files { get; } = [];

    /// <summary>Reads the header at <paramref name="offset"/> of .debug_line for <paramref name="unit"/>.</summary>
    public static LineProgramHeader Read(DwarfFile file, DwarfUnit unit, ulong offset)
    {
        var section = file.Sections.Line;
        if (offset >= (ulong)section.Length)
        {
            throw section.Error((long)Math.Min(offset, long.MaxValue), $"a line program offset past the end of the section ({section.Length} bytes)");
        }

        var r = section.Reader((int)offset);
        ulong length = r.U32();
        int offsetSize = 4;
        if (length == 0xffffffff)
        {
            length = r.U64();
            offsetSize = 8;
        }

        if (length > (ulong)(section.Length - r.Position))
        {
            throw section.Error((long)offset, $"the line program's length {length} runs past the end of the section");
        }

        int end = r.Position + (int)length;
        ushort version = r.U16();
        if (version is < 2 or > 5)
        {
            throw section.Error((long)offset, $"line program version {version} is not supported (2 to 5)");
        }

        int addressSize = unit.Format.AddressSize;
        if (version >= 5)
        {
            addressSize = r.U8();
            r.U8(); // segment_selector_size
        }

        ulong headerLength = r.Offset(offsetSize);
        if (headerLength > (ulong)(end - r.Position))
        {
            throw section.Error((long)offset, $"the line program header length {headerLength} runs past the program");
        }

        int programStart = r.Position + (int)headerLength;
        byte minLength = r.U8();
        if (version >= 4)
        {
            r.U8(); // maximum_operations_per_instruction: VLIW only
        }

        bool defaultIsStmt = r.U8() != 0;
        sbyte lineBase = (sbyte)r.U8();
        byte lineRange = r.U8();
        byte opcodeBase = r.U8();
        if (lineRange == 0)
        {
            throw section.Error((long)offset, "the line program's line_range is 0");
        }

        if (opcodeBase == 0)
        {
            throw section.Error((long)offset, "the line program's opcode_base is 0");
        }

        var lengths = r.Take(opcodeBase - 1).ToArray();
        var header = new LineProgramHeader
        {
            Version = version,
            AddressSize = addressSize,
            MinimumInstructionLength = minLength,
            DefaultIsStatement = defaultIsStmt,
            LineBase = lineBase,
            LineRange = lineRange,
            OpcodeBase = opcodeBase,
            StandardOpcodeLengths = lengths,
            ProgramStart = programStart,
            ProgramEnd = end,
        };

        string compDir = unit.CompDir ?? string.Empty;
        if (version >= 5)
        {
            var dirs = ReadEntries(file, unit, ref r, offsetSize, section, (long)offset);
            var dirNames = dirs.ConvertAll(d => d.Path);
            var files = ReadEntries(file, unit, ref r, offsetSize, section, (long)offset);
            foreach (var f in files)
            {
                string dir = f.Directory < (ulong)dirNames.Count ? dirNames[(int)f.Directory] : string.Empty;
                header.Files.Add(Join(compDir, dir, f.Path));
            }
        }
        else
        {
            var dirNames = new List<string> { compDir };
            while (true)
            {
                var dir = r.CString();
                if (dir.IsEmpty)
                {
                    break;
                }

                dirNames.Add(System.Text.Encoding.UTF8.GetString(dir));
            }

            header.Files.Add(unit.Name ?? string.Empty);
            while (true)
            {
                var name = r.CString();
                if (name.IsEmpty)
                {
                    break;
                }

                ulong dirIndex = r.Uleb();
                r.Uleb(); // modification time
                r.Uleb(); // length
                string dir = dirIndex < (ulong)dirNames.Count ? dirNames[(int)dirIndex] : string.Empty;
                header.Files.Add(Join(compDir, dir, System.Text.Encoding.UTF8.GetString(name)));
            }
        }

        if (r.Position > programStart)
        {
            throw section.Error((long)offset, "the line program's directory and file tables run past its header length");
        }

        return header;
    }

    /// <summary>Adds a DW_LNE_define_file entry (DWARF 2–4).</summary>
    public void DefineFile(string name) => Files.Add(name);

    /// <summary>name, or dir/name, or compDir/dir/name, as each part is relative or not.</summary>
    public static string Join(string compDir, string dir, string name)
    {
        if (name.StartsWith('/'))
        {
            return name;
        }

        if (dir.Length > 0 && !dir.StartsWith('/') && compDir.Length > 0 && dir != compDir)
        {
            dir = compDir + "/" + dir;
        }

        if (dir.Length == 0)
        {
            return name;
        }

        return dir.EndsWith('/') ? dir + name : dir + "/" + name;
    }

    private static List<(string Path, ulong Directory)> ReadEntries(DwarfFile file, DwarfUnit unit, ref DwarfReader r, int offsetSize, DwarfSection section, long offset)
    {
        int formatCount = r.U8();
        var formats = new (ulong Type, ushort Form)[formatCount];
        for (int i = 0; i < formatCount; i++)
        {
            ulong type = r.Uleb();
            ulong form = r.Uleb();
            if (form > ushort.MaxValue)
            {
                throw section.Error(offset, $"a line table entry format uses form 0x{form:x}");
            }

            formats[i] = (type, (ushort)form);
        }

        ulong count = r.Uleb();
        if (count > (ulong)(r.Length - r.Position) + 1)
        {
            throw section.Error(offset, $"the line program claims {count} directory or file entries, more than its bytes can hold");
        }

        var result = new List<(string, ulong)>((int)count);
        var lineFormat = new UnitFormat(5, unit.Format.AddressSize, (byte)offsetSize);
        for (ulong i = 0; i < count; i++)
        {
            string path = string.Empty;
            ulong dir = 0;
            foreach (var (type, form) in formats)
            {
                int at = r.Position;
                if (type == LnctPath)
                {
                    path = PathString(file, unit, ref r, form, offsetSize, section);
                }
                else if (type == LnctDirectoryIndex)
                {
                    dir = form switch
                    {
                        DwForm.Data1 => r.U8(),
                        DwForm.Data2 => r.U16(),
                        DwForm.Udata => r.Uleb(),
                        _ => throw section.Error(at, $"a directory index of form 0x{form:x}"),
                    };
                }
                else
                {
                    Forms.Skip(ref r, form, lineFormat);
                }
            }

            result.Add((path, dir));
        }

        return result;
    }

    private static string PathString(DwarfFile file, DwarfUnit unit, ref DwarfReader r, ushort form, int offsetSize, DwarfSection section)
    {
        int at = r.Position;
        return form switch
        {
            DwForm.String => System.Text.Encoding.UTF8.GetString(r.CString()),
            DwForm.LineStrp => System.Text.Encoding.UTF8.GetString(DwarfFile.StringAt(file.Sections.LineStr, r.Offset(offsetSize))),
            DwForm.Strp => System.Text.Encoding.UTF8.GetString(DwarfFile.StringAt(file.Sections.Str, r.Offset(offsetSize))),
            DwForm.Strx or DwForm.Strx1 or DwForm.Strx2 or DwForm.Strx3 or DwForm.Strx4 =>
                System.Text.Encoding.UTF8.GetString(DwarfFile.StringAt(file.Sections.Str, file.StrOffset(unit, StringIndex(ref r, form)))),
            _ => throw section.Error(at, $"a file or directory name of form 0x{form:x}"),
        };
    }

    private static ulong StringIndex(ref DwarfReader r, ushort form) => form switch
    {
        DwForm.Strx1 => r.U8(),
        DwForm.Strx2 => r.U16(),
        DwForm.Strx3 => r.U24(),
        DwForm.Strx4 => r.U32(),
        _ => r.Uleb(),
    };
}
