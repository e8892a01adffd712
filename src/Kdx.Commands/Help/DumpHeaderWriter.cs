using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Elf;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.Elf;

namespace Kdx.Commands.Help;

/// <summary>
/// <c>help -D</c>: a dump's <see cref="DumpDescription"/> in crash's layout, field names right-aligned before
/// their colon: for ELF dumps crash's netdump.c netdump_memory_dump (vmcore_data, Elf64_Ehdr, each Elf64_Phdr,
/// then each note as <c>help -n</c> shows it); for compressed kdumps diskdump.c __diskdump_memory_dump (the
/// makedumpfile header of a flattened file, diskdump_data, the disk_dump_header, kdump_sub_header with
/// VMCOREINFO and the decoded notes, then the bitmap summary), once per file of a split dump. Values that only
/// describe crash's own memory (its pointers, file descriptors, page cache statistics) have no counterpart in
/// Kdx and are left out; a heading that carries such a pointer in crash keeps its label. Other dumps are shown
/// as an indented tree.
/// </summary>
internal static class DumpHeaderWriter
{
    private const int ElfWidth = 23;
    private const int FlatWidth = 19;
    private const int DataWidth = 18;
    private const int HeaderWidth = 20;
    private const int InnerWidth = 22;

    // crash's dd->flags bits (diskdump.c).
    private const int DiskdumpLocal = 0x1;
    private const int KdumpCompressedLocal = 0x2;
    private const int ErrorExcluded = 0x4;
    private const int ZeroExcluded = 0x8;
    private const int DumpfileSplit = 0x10;
    private const int CodecsSupported = 0x40 | 0x80 | 0x100; // LZO, snappy and zstd: Kdx reads all three

    // NT_TASKSTRUCT (include/uapi/linux/elf.h): crash's snapshot_task is a "SNAP" note of this type (live dumps).
    private const uint NtTaskStruct = 4;

    public static void Write(CommandContext context, DumpFile dump)
    {
        var tree = dump.Describe();
        switch (dump)
        {
            case ElfCoreDump:
                WriteElf(context, tree, dump);
                break;
            case KdumpCompressedDump:
                WriteKdump(context, tree, dump);
                break;
            default:
                WriteTree(context, tree, 0);
                break;
        }
    }

    private static void WriteElf(CommandContext context, DumpDescription tree, DumpFile dump)
    {
        foreach (var section in tree.Children)
        {
            switch (section.Name)
            {
                case "vmcore_data":
                    context.WriteLine("vmcore_data: ");
                    WriteFields(context, section, ElfWidth, trailingSpace: "flags");
                    context.WriteLine(string.Empty);
                    break;
                case "Elf64_Nhdr":
                    break; // the notes follow, decoded as help -n shows them
                default:
                    context.WriteLine($"{section.Name}:");
                    WriteFields(context, section, ElfWidth, trailingSpace: null);
                    break;
            }
        }

        DumpNotesWriter.Write(context, dump);
    }

    private static void WriteKdump(CommandContext context, DumpDescription tree, DumpFile dump)
    {
        var parts = tree.Children.Where(c => c.Name.StartsWith("file ", StringComparison.Ordinal)).ToList();
        if (parts.Count == 0)
        {
            parts.Add(tree);
        }

        for (int i = 0; i < parts.Count; i++)
        {
            if (i > 0)
            {
                context.WriteLine(string.Empty);
            }

            WriteKdumpPart(context, parts[i], dump, split: parts.Count > 1);
        }
    }

    private static void WriteKdumpPart(CommandContext context, DumpDescription part, DumpFile dump, bool split)
    {
        var flat = Child(part, "makedumpfile header");
        if (flat is not null)
        {
            context.WriteLine("makedumpfile header:");
            foreach (var f in flat.Children)
            {
                if (f.Name == "num_array")
                {
                    context.WriteLine("      all_flat_data:");
                }

                context.WriteLine(Field(FlatWidth, f.Name, f.Value));
            }

            context.WriteLine(string.Empty);
        }

        var header = Child(part, "header");
        bool diskdump = Child(part, "sub_header_kdump") is null;
        int flags = (diskdump ? DiskdumpLocal : KdumpCompressedLocal) | (dump.Options.ZeroExcluded ? ZeroExcluded : ErrorExcluded)
            | (split ? DumpfileSplit : 0) | CodecsSupported;
        context.WriteLine("diskdump_data: ");
        context.WriteLine(Field(DataWidth, "filename", Child(part, "filename")?.Value));
        context.WriteLine(Field(DataWidth, "flags", string.Create(CultureInfo.InvariantCulture,
            $"{flags:x} ({(diskdump ? "DISKDUMP_LOCAL" : "KDUMP_CMPRS_LOCAL")}|{(dump.Options.ZeroExcluded ? "ZERO_EXCLUDED" : "ERROR_EXCLUDED")}|LZO_SUPPORTED|SNAPPY_SUPPORTED|ZSTD_SUPPORTED) {(flat is null ? string.Empty : "[FLAT]")}")));
        context.WriteLine(Field(DataWidth, "machine_type", $"{ElfConstants.EmX86_64} (EM_X86_64)"));
        context.WriteLine(string.Empty);
        if (header is not null)
        {
            context.WriteLine(Field(DataWidth, "header", string.Empty));
            WriteDiskDumpHeader(context, header);
        }

        context.WriteLine(string.Empty);
        context.WriteLine(Field(DataWidth, "sub_header", "0 (n/a)"));
        context.WriteLine(string.Empty);
        if (Child(part, "sub_header_kdump") is { } sub)
        {
            context.WriteLine(Field(DataWidth, "sub_header_kdump", string.Empty));
            WriteSubHeader(context, sub, dump);
            context.WriteLine(string.Empty);
        }

        foreach (var f in part.Children)
        {
            if (f.Value is not null && f.Name is not ("filename" or "total_valid_pages"))
            {
                context.WriteLine(Field(DataWidth, f.Name, f.Value));
            }
        }

        // crash prints its page cache statistics here; only the count of dumped pages describes the dump.
        context.WriteLine(string.Empty);
        context.WriteLine(Field(DataWidth, "total_valid_pages", Child(part, "total_valid_pages")?.Value));
    }

    private static void WriteDiskDumpHeader(CommandContext context, DumpDescription header)
    {
        foreach (var f in header.Children)
        {
            if (f.Value is null)
            {
                context.WriteLine(Field(HeaderWidth, f.Name, null));
                foreach (var g in f.Children)
                {
                    context.WriteLine(Field(InnerWidth, g.Name, g.Value));
                }
            }
            else if (f.Name == "tasks[nr_cpus]")
            {
                // One task pointer per line, the first after the label.
                var tasks = f.Value.Split(", ");
                context.WriteLine(Field(HeaderWidth, f.Name, tasks[0]));
                foreach (string t in tasks.Skip(1))
                {
                    context.WriteLine(new string(' ', InnerWidth) + t);
                }
            }
            else
            {
                context.WriteLine(Field(HeaderWidth, f.Name, f.Value));
            }
        }
    }

    private static void WriteSubHeader(CommandContext context, DumpDescription sub, DumpFile dump)
    {
        string indent = new(' ', InnerWidth);
        var prstatus = dump.Notes.Where(n => n.Type == ElfNotes.NtPrStatus && n.Name == "CORE").ToList();
        var qemu = dump.Notes.Where(n => n.Name == "QEMU").ToList();
        foreach (var f in sub.Children)
        {
            switch (f.Name)
            {
                case "vmcoreinfo":
                    foreach (var line in f.Children)
                    {
                        context.WriteLine($"{indent}{line.Name}={line.Value}");
                    }

                    break;
                case "num_vmcoredd_notes" or "num_prstatus_notes":
                    context.WriteLine(Field(HeaderWidth, f.Name, f.Value));
                    if (f.Name == "num_prstatus_notes")
                    {
                        WriteNotes(context, prstatus, "NT_PRSTATUS");
                    }

                    break;
                case "num_qemu_notes":
                    var task = dump.Notes.FirstOrDefault(n => n.Type == NtTaskStruct && n.Name == "SNAP");
                    context.WriteLine(Field(HeaderWidth, "snapshot_task", task is null ? "0 " : $"{SnapshotTask(task):x} (NT_TASKSTRUCT)"));
                    context.WriteLine(Field(HeaderWidth, f.Name, f.Value));
                    WriteNotes(context, qemu, "QEMUCPUState");
                    break;
                case "NOTE offsets":
                    WriteNoteOffsets(context, dump.Notes);
                    break;
                default:
                    if (f.Value is not null)
                    {
                        context.WriteLine(Field(HeaderWidth, f.Name, f.Value));
                    }

                    break;
            }
        }
    }

    private static void WriteNotes(CommandContext context, List<ElfNote> notes, string label)
    {
        for (int i = 0; i < notes.Count; i++)
        {
            context.WriteLine(Field(HeaderWidth, $"notes[{i}]", $"({label})"));
            DumpNotesWriter.WriteDecoded(context, notes[i], InnerWidth);
        }
    }

    // crash lists the offsets of the NT_PRSTATUS and QEMU notes only, one per line.
    private static void WriteNoteOffsets(CommandContext context, IReadOnlyList<ElfNote> notes)
    {
        bool first = true;
        foreach (var n in notes)
        {
            string? label = n.Type == ElfNotes.NtPrStatus ? "NT_PRSTATUS" : n.Name == "QEMU" ? "QEMU" : null;
            if (label is null)
            {
                continue;
            }

            string value = string.Create(CultureInfo.InvariantCulture, $"{n.FileOffset:x} ({label})");
            context.WriteLine(first ? Field(HeaderWidth, "NOTE offsets", value) : new string(' ', InnerWidth) + value);
            first = false;
        }
    }

    private static ulong SnapshotTask(ElfNote note) =>
        note.Descriptor.Length >= 8 ? BitConverter.ToUInt64(note.Descriptor.Span) : 0;

    private static void WriteFields(CommandContext context, DumpDescription section, int width, string? trailingSpace)
    {
        foreach (var f in section.Children)
        {
            // crash indents "pt_load_segment[N]:" by five spaces whatever N's width.
            context.WriteLine(f.Name.StartsWith("pt_load_segment[", StringComparison.Ordinal) ? $"     {f.Name}:"
                : Field(width, f.Name, f.Name == trailingSpace ? f.Value + " " : f.Value));
            foreach (var g in f.Children)
            {
                context.WriteLine(Field(width, g.Name, g.Value));
            }
        }
    }

    // "name: value" with the name right-aligned; a heading without a value ends at its colon.
    private static string Field(int width, string name, string? value) =>
        value is null ? $"{name.PadLeft(width)}:" : $"{name.PadLeft(width)}: {value}";

    private static DumpDescription? Child(DumpDescription node, string name) => node.Children.FirstOrDefault(c => c.Name == name);

    private static void WriteTree(CommandContext context, DumpDescription node, int depth)
    {
        string indent = new(' ', depth * 2);
        context.WriteLine(node.Value is null ? $"{indent}{node.Name}:" : $"{indent}{node.Name}: {node.Value}");
        foreach (var child in node.Children)
        {
            WriteTree(context, child, depth + 1);
        }
    }
}
