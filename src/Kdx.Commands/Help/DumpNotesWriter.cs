using System.Buffers.Binary;
using System.Text;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Dumps;

namespace Kdx.Commands.Help;

/// <summary>
/// Prints the dump's ELF notes in crash's <c>help -n</c> layout: the Elf64_Nhdr fields, then the
/// decoded NT_PRSTATUS or QEMUCPUState, then the descriptor as 64-bit words (VMCOREINFO as text).
/// </summary>
internal static class DumpNotesWriter
{
    private const int NtPrStatus = 1;
    private const int NtFpRegSet = 2;
    private const int NtPrPsInfo = 3;
    private const int NtTaskStruct = 4;
    /// <summary>Where crash starts the decoded note in help -n and in an ELF dump's help -D.</summary>
    private const int NoteIndent = 25;
    private static readonly string Pad = new(' ', NoteIndent);

    public static void Write(CommandContext context, DumpFile dump)
    {
        foreach (var note in dump.Notes)
        {
            Write(context, note);
        }
    }

    public static void Write(CommandContext context, ElfNote note)
    {
        var d = note.Descriptor.Span;
        context.WriteLine("Elf64_Nhdr:");
        context.WriteLine($"               n_namesz: {Encoding.ASCII.GetByteCount(note.Name) + 1} (\"{note.Name}\")");
        context.WriteLine($"               n_descsz: {d.Length}");
        context.WriteLine($"                 n_type: {note.Type:x} ({TypeName(note)})");
        bool text = note.Name is "VMCOREINFO" or "ERASEINFO" or "VMCOREINFO_XEN";
        if (text)
        {
            var sb = new StringBuilder(Pad);
            foreach (char c in Encoding.Latin1.GetString(d))
            {
                if (c == '\n')
                {
                    context.WriteLine(sb.ToString());
                    sb.Clear().Append(Pad);
                }
                else if (c != '\0')
                {
                    sb.Append(c);
                }
            }

            context.WriteLine(sb.ToString());
            return;
        }

        if (d.Length == 4)
        {
            context.WriteLine($"{Pad}{BinaryPrimitives.ReadUInt32LittleEndian(d):x8}");
            return;
        }

        WriteDecoded(context, note, NoteIndent);

        var line = new StringBuilder();
        int words = d.Length / 8;
        for (int i = 0; i < words; i++)
        {
            if (i % 2 == 0)
            {
                if (i > 0)
                {
                    context.WriteLine(line.ToString());
                    line.Clear();
                }

                line.Append(Pad);
            }

            line.Append($"{BinaryPrimitives.ReadUInt64LittleEndian(d[(i * 8)..]):x16} ");
        }

        context.WriteLine(line.ToString());
    }

    /// <summary>
    /// The decoded registers of an NT_PRSTATUS or QEMUCPUState note, <paramref name="indent"/> columns in
    /// (crash uses 25 under an Elf64_Nhdr, 22 under a compressed kdump's notes[i]); nothing for other notes.
    /// </summary>
    public static void WriteDecoded(CommandContext context, ElfNote note, int indent)
    {
        var d = note.Descriptor.Span;
        if (note.Type == NtPrStatus && note.Name == "CORE" && d.Length >= PrStatus.Size)
        {
            WritePrStatus(context, d.ToArray(), new string(' ', indent));
        }
        else if (note.Name == "QEMU" && d.Length >= QemuStateMinSize)
        {
            WriteQemuState(context, d.ToArray(), new string(' ', indent));
        }
    }

    private static string TypeName(ElfNote note) => note.Type switch
    {
        NtPrStatus => "NT_PRSTATUS",
        NtFpRegSet => "NT_FPREGSET",
        NtPrPsInfo => "NT_PRPSINFO",
        NtTaskStruct => "NT_TASKSTRUCT",
        _ => note.Name switch
        {
            "VMCOREINFO" or "ERASEINFO" or "VMCOREINFO_XEN" => "unused",
            "QEMU" => "QEMUCPUState",
            _ => "?",
        },
    };

    private static void WritePrStatus(CommandContext context, byte[] d, string pad)
    {
        int I32(int o) => BinaryPrimitives.ReadInt32LittleEndian(d.AsSpan(o));
        ulong U64(int o) => BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(o));
        string Time(int o) => $"{(long)U64(o)}.{(int)U64(o + 8):D6}";
        ulong R(int i) => U64(PrStatus.RegsOffset + (i * 8));
        short cursig = BinaryPrimitives.ReadInt16LittleEndian(d.AsSpan(12));
        context.WriteLine($"{pad}si.signo: {I32(0)}  si.code: {I32(4)}  si.errno: {I32(8)}");
        context.WriteLine($"{pad}cursig: {cursig}  sigpend: {U64(16):x}  sighold: {U64(24):x}");
        context.WriteLine($"{pad}pid: {I32(32)}  ppid: {I32(36)}  pgrp: {I32(40)}  sid:{I32(44)}");
        context.WriteLine($"{pad}utime: {Time(48)}  stime: {Time(64)}");
        context.WriteLine($"{pad}cutime: {Time(80)}  cstime: {Time(96)}");
        context.WriteLine($"{pad}ORIG_RAX: {R(15):x}  fpvalid: {I32(PrStatus.RegsOffset + (27 * 8))}");
        context.WriteLine($"{pad}     R15: {R(0):x16}  R14: {R(1):x16}");
        context.WriteLine($"{pad}     R13: {R(2):x16}  R12: {R(3):x16}");
        context.WriteLine($"{pad}     RBP: {R(4):x16}  RBX: {R(5):x16}");
        context.WriteLine($"{pad}     R11: {R(6):x16}  R10: {R(7):x16}");
        context.WriteLine($"{pad}      R9: {R(8):x16}   R8: {R(9):x16}");
        context.WriteLine($"{pad}     RAX: {R(10):x16}  RCX: {R(11):x16}");
        context.WriteLine($"{pad}     RDX: {R(12):x16}  RSI: {R(13):x16}");
        context.WriteLine($"{pad}     RDI: {R(14):x16}  RIP: {R(16):x16}");
        context.WriteLine($"{pad}  RFLAGS: {R(18):x16}  RSP: {R(19):x16}");
        context.WriteLine($"{pad} FS_BASE: {R(21):x16}");
        context.WriteLine($"{pad} GS_BASE: {R(22):x16}");
        context.WriteLine($"{pad}      CS: {R(17):x4}  SS: {R(20):x4}  DS: {R(23):x4}");
        context.WriteLine($"{pad}      ES: {R(24):x4}  FS: {R(25):x4}  GS: {R(26):x4}");
    }

    // QEMUCPUState (QEMU target/i386/arch_dump.c): version, size, 18 registers, 10 segments of 24 bytes, cr[5].
    private const int QemuStateMinSize = 8 + (18 * 8) + (10 * 24) + (5 * 8);

    private static void WriteQemuState(CommandContext context, byte[] d, string pad)
    {
        ulong U64(int o) => BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(o));
        uint U32(int o) => BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(o));
        ulong Reg(int i) => U64(8 + (i * 8));

        // rax rbx rcx rdx rsi rdi rsp rbp r8 … r15 rip rflags
        context.WriteLine($"{pad}version: {U32(0)}  size: {U32(4)}");
        context.WriteLine($"{pad}RAX: {Reg(0):x16}     RBX: {Reg(1):x16}");
        context.WriteLine($"{pad}RCX: {Reg(2):x16}     RDX: {Reg(3):x16}");
        context.WriteLine($"{pad}RSI: {Reg(4):x16}     RDI: {Reg(5):x16}");
        context.WriteLine($"{pad}RSP: {Reg(6):x16}     RBP: {Reg(7):x16}");
        context.WriteLine($"{pad}RIP: {Reg(16):x16}  RFLAGS: {Reg(17):x16}");
        context.WriteLine($"{pad} R8: {Reg(8):x16}      R9: {Reg(9):x16}");
        context.WriteLine($"{pad}R10: {Reg(10):x16}     R11: {Reg(11):x16}");
        context.WriteLine($"{pad}R12: {Reg(12):x16}     R13: {Reg(13):x16}");
        context.WriteLine($"{pad}R14: {Reg(14):x16}     R15: {Reg(15):x16}");
        string[] names = ["CS", "DS", "ES", "FS", "GS", "SS", "LDT", "TR", "GDT", "IDT"];
        string pad5 = pad + new string(' ', 5);
        for (int i = 0; i < names.Length; i++)
        {
            int o = 8 + (18 * 8) + (i * 24);
            string sep = names[i].Length > 2 ? string.Empty : " ";
            context.WriteLine($"{pad}{sep}{names[i]}: selector: {U32(o):x4}  limit: {U32(o + 4):x8}  flags: {U32(o + 8):x8}");
            context.WriteLine($"{pad5}pad: {U32(o + 12):x8}   base: {U64(o + 16):x16}");
        }

        int cr = 8 + (18 * 8) + (10 * 24);
        context.WriteLine($"{pad}CR0: {U64(cr):x16}  CR1: {U64(cr + 8):x16}");
        context.WriteLine($"{pad}CR2: {U64(cr + 16):x16}  CR3: {U64(cr + 24):x16}");
        context.WriteLine($"{pad}CR4: {U64(cr + 32):x16}");
    }
}
