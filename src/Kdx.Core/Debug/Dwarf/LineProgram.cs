namespace Kdx.Core.Debug.Dwarf;

/// <summary>Runs the line-number state machine of DWARF 5 §6.2.5 over a line program.</summary>
internal static class LineProgram
{
    // Standard opcodes (DWARF 5 §6.2.5.2) and extended opcodes (§6.2.5.3).
    private const byte Copy = 1;
    private const byte AdvancePc = 2;
    private const byte AdvanceLine = 3;
    private const byte SetFile = 4;
    private const byte SetColumn = 5;
    private const byte NegateStmt = 6;
    private const byte SetBasicBlock = 7;
    private const byte ConstAddPc = 8;
    private const byte FixedAdvancePc = 9;
    private const byte SetPrologueEnd = 10;
    private const byte SetEpilogueBegin = 11;
    private const byte SetIsa = 12;
    private const byte EndSequence = 1;
    private const byte SetAddress = 2;
    private const byte DefineFile = 3;
    private const byte SetDiscriminator = 4;

    /// <summary>The most rows one line program may produce (a vmlinux unit has well under a million).</summary>
    public const int MaxRows = 1 << 24;

    /// <summary>Decodes the line program of <paramref name="unit"/> at <paramref name="offset"/>.</summary>
    public static LineTable Read(DwarfFile file, DwarfUnit unit, ulong offset)
    {
        var header = LineProgramHeader.Read(file, unit, offset);
        var section = file.Sections.Line;
        var r = section.Reader(header.ProgramStart);
        var rows = new List<LineRow>();
        var sequences = new List<(ulong Start, ulong End, int First, int Count)>();
        ulong address = 0;
        int fileNumber = 1, line = 1, sequenceStart = 0;
        bool isStmt = header.DefaultIsStatement;
        int minLength = header.MinimumInstructionLength;

        void Emit(bool end) => rows.Add(new LineRow(address, fileNumber, line, isStmt, end));

        while (r.Position < header.ProgramEnd)
        {
            if (rows.Count >= MaxRows)
            {
                throw section.Error(r.Position, $"the line program produces more than {MaxRows} rows");
            }

            byte op = r.U8();
            if (op >= header.OpcodeBase)
            {
                int adjusted = op - header.OpcodeBase;
                address += (ulong)(adjusted / header.LineRange * minLength);
                line += header.LineBase + (adjusted % header.LineRange);
                Emit(end: false);
                continue;
            }

            switch (op)
            {
                case 0:
                    {
                        ulong length = r.Uleb();
                        if (length == 0 || length > (ulong)(header.ProgramEnd - r.Position))
                        {
                            throw section.Error(r.Position, $"an extended line opcode of length {length} runs past the program");
                        }

                        int next = r.Position + (int)length;
                        byte sub = r.U8();
                        switch (sub)
                        {
                            case EndSequence:
                                Emit(end: true);
                                if (rows.Count > sequenceStart)
                                {
                                    sequences.Add((rows[sequenceStart].Address, address, sequenceStart, rows.Count - sequenceStart));
                                }

                                sequenceStart = rows.Count;
                                address = 0;
                                fileNumber = 1;
                                line = 1;
                                isStmt = header.DefaultIsStatement;
                                break;
                            case SetAddress:
                                address = r.Unsigned(Math.Min((int)length - 1, 8));
                                break;
                            case DefineFile:
                                header.DefineFile(System.Text.Encoding.UTF8.GetString(r.CString()));
                                break;
                            case SetDiscriminator:
                                break;
                        }

                        r.Position = next;
                        break;
                    }

                case Copy:
                    Emit(end: false);
                    break;
                case AdvancePc:
                    address += r.Uleb() * (ulong)minLength;
                    break;
                case AdvanceLine:
                    line = unchecked((int)(line + r.Sleb()));
                    break;
                case SetFile:
                    fileNumber = (int)Math.Min(r.Uleb(), int.MaxValue);
                    break;
                case SetColumn or SetIsa:
                    r.Uleb();
                    break;
                case NegateStmt:
                    isStmt = !isStmt;
                    break;
                case SetBasicBlock or SetPrologueEnd or SetEpilogueBegin:
                    break;
                case ConstAddPc:
                    address += (ulong)((255 - header.OpcodeBase) / header.LineRange * minLength);
                    break;
                case FixedAdvancePc:
                    address += r.U16();
                    break;
                default:
                    // An opcode this reader does not know: skip its ULEB128 operands.
                    for (int i = 0; i < header.StandardOpcodeLengths[op - 1]; i++)
                    {
                        r.Uleb();
                    }

                    break;
            }
        }

        // Sort sequences by start address; rows stay in program order inside each.
        sequences.Sort((a, b) => a.Start.CompareTo(b.Start));
        return new LineTable(header.Files, [.. rows], [.. sequences]);
    }
}
