using System.Numerics;
using System.Text;
using Kdx.Core.Elf;

namespace Kdx.Core.Dumps.Elf;

/// <summary>What kind of note an ELF dump note is, in the order crash's <c>help -n</c> tells them apart.</summary>
public enum ElfCoreNoteKind
{
    /// <summary>Anything else.</summary>
    Other,

    /// <summary>NT_PRSTATUS (1): a CPU's registers.</summary>
    PrStatus,

    /// <summary>NT_FPREGSET (2).</summary>
    FpRegSet,

    /// <summary>NT_PRPSINFO (3).</summary>
    PrPsInfo,

    /// <summary>NT_TASKSTRUCT (4).</summary>
    TaskStruct,

    /// <summary>NT_VMCOREDD (0x700): a device dump.</summary>
    VmcoreDeviceDump,

    /// <summary>The "VMCOREINFO" note.</summary>
    VmcoreInfo,

    /// <summary>makedumpfile's "ERASEINFO" note.</summary>
    EraseInfo,

    /// <summary>QEMU's "QEMU" note (QEMUCPUState).</summary>
    QemuCpuState,

    /// <summary>A Xen note ("Xen", "XEN CORE", "VMCOREINFO_XEN").</summary>
    Xen,
}

/// <summary>A note of an ELF dump with its content decoded, for <c>help -n</c> / <c>help -D</c>.</summary>
/// <param name="Index">The note's position among all notes of the dump.</param>
/// <param name="Note">The raw note (name, n_namesz, n_type, descriptor, file offset).</param>
/// <param name="Kind">What the note is.</param>
public sealed record ElfCoreNoteInfo(int Index, ElfNote Note, ElfCoreNoteKind Kind)
{
    /// <summary>The decoded elf_prstatus of an NT_PRSTATUS note.</summary>
    public PrStatusInfo? PrStatus { get; init; }

    /// <summary>The decoded QEMUCPUState of a QEMU note.</summary>
    public QemuCpuState? Qemu { get; init; }

    /// <summary>The text of a VMCOREINFO or ERASEINFO note (Latin-1, up to its first NUL).</summary>
    public string? Text { get; init; }
}

/// <summary>Notes, CPUs, VMCOREINFO and the producer of an ELF dump.</summary>
public sealed partial class ElfCoreDump
{
    /// <summary>NT_VMCOREDD (include/uapi/linux/elf.h, Linux v4.18).</summary>
    public const uint NtVmcoreDd = 0x700;

    private IReadOnlyList<ElfCoreNoteInfo>? _noteDetails;

    /// <summary>Every note with its content decoded, in file order.</summary>
    public IReadOnlyList<ElfCoreNoteInfo> NoteDetails => _noteDetails ??= DecodeNotes(_notes);

    /// <summary>Classifies a note the way crash does: by n_type for the core types, else by name.</summary>
    public static ElfCoreNoteKind KindOf(ElfNote note) => note.Type switch
    {
        ElfNotes.NtPrStatus => ElfCoreNoteKind.PrStatus,
        2 => ElfCoreNoteKind.FpRegSet,
        3 => ElfCoreNoteKind.PrPsInfo,
        4 => ElfCoreNoteKind.TaskStruct,
        NtVmcoreDd => ElfCoreNoteKind.VmcoreDeviceDump,
        _ => note.Name switch
        {
            "VMCOREINFO" => ElfCoreNoteKind.VmcoreInfo,
            "ERASEINFO" => ElfCoreNoteKind.EraseInfo,
            QemuNote.NoteName => ElfCoreNoteKind.QemuCpuState,
            _ when note.Name.StartsWith("Xen", StringComparison.Ordinal) || note.Name.StartsWith("XEN CORE", StringComparison.Ordinal)
                || note.Name == "VMCOREINFO_XEN" => ElfCoreNoteKind.Xen,
            _ => ElfCoreNoteKind.Other,
        },
    };

    private static List<ElfCoreNoteInfo> DecodeNotes(List<ElfNote> notes)
    {
        var result = new List<ElfCoreNoteInfo>(notes.Count);
        for (int i = 0; i < notes.Count; i++)
        {
            var n = notes[i];
            var kind = KindOf(n);
            result.Add(new ElfCoreNoteInfo(i, n, kind)
            {
                PrStatus = kind == ElfCoreNoteKind.PrStatus ? Dumps.PrStatus.Decode(n.Descriptor.Span) : null,
                Qemu = kind == ElfCoreNoteKind.QemuCpuState ? QemuNote.Decode(n.Descriptor.Span) : null,
                Text = kind is ElfCoreNoteKind.VmcoreInfo or ElfCoreNoteKind.EraseInfo ? TextOf(n) : null,
            });
        }

        return result;
    }

    private static string TextOf(ElfNote note)
    {
        var d = note.Descriptor.Span;
        int nul = d.IndexOf((byte)0);
        return Encoding.Latin1.GetString(nul >= 0 ? d[..nul] : d);
    }

    private static VmcoreInfo? ReadVmcoreInfo(ElfFile elf, List<ElfNote> notes, ParseLimits limits)
    {
        foreach (var n in notes)
        {
            if (n.Name == "VMCOREINFO" && n.Descriptor.Length > limits.MaxVmcoreInfoBytes)
            {
                throw new DumpFormatException(elf.Name, n.FileOffset, $"the VMCOREINFO note holds {n.Descriptor.Length} bytes, more than the limit of {limits.MaxVmcoreInfoBytes}");
            }
        }

        return ElfNotes.FindVmcoreInfo(notes);
    }

    /// <summary>
    /// Tells the producers apart: QEMU writes a "QEMU" note per CPU; makedumpfile -E leaves p_filesz below
    /// p_memsz for excluded pages and packs its data right after the headers, where the kernel's
    /// /proc/vmcore page-aligns the notes and every PT_LOAD (fs/proc/vmcore.c, Linux v3.11).
    /// </summary>
    private static DumpProducer DetectProducer(ElfFile elf, List<ElfNote> notes, ElfProgramHeader[] loads)
    {
        if (notes.Any(QemuNote.IsQemuNote))
        {
            return DumpProducer.Qemu;
        }

        if (loads.Any(p => p.FileSize < p.MemorySize))
        {
            return DumpProducer.Makedumpfile;
        }

        const ulong page = 4096;
        bool aligned = elf.ProgramHeaders.All(p => !(p.IsLoad || p.IsNote) || p.Offset % page == 0);
        if (aligned)
        {
            return DumpProducer.KdumpElf;
        }

        return notes.Any(n => n.Name == "VMCOREINFO") ? DumpProducer.Makedumpfile : DumpProducer.Unknown;
    }

    private static int PageSizeOf(VmcoreInfo? info, ParseLimits limits)
    {
        // x86_64 pages are 4 KiB; VMCOREINFO's PAGESIZE is trusted only when it is a sane power of two.
        long? size = info?.PageSize;
        return size is { } s && s >= 4096 && s <= limits.MaxPageSize && BitOperations.IsPow2(s) ? (int)s : 4096;
    }

    /// <summary>
    /// One CPU per NT_PRSTATUS note, with the i-th QEMU note attached to the i-th CPU (QEMU writes every
    /// CPU's NT_PRSTATUS, then every CPU's QEMU note, in CPU order: QEMU dump/dump.c write_elf64_notes).
    /// QEMU's pr_pid is the CPU number + 1, not a task, so it is dropped.
    /// </summary>
    private static List<CpuState> CpusOf(List<ElfNote> notes, DumpProducer producer, ParseLimits limits, string file)
    {
        var cpus = PrStatus.FromNotes(notes);
        var qemu = notes.Where(QemuNote.IsQemuNote).Select(n => QemuNote.Decode(n.Descriptor.Span)).ToList();
        if (Math.Max(cpus.Count, qemu.Count) > limits.MaxCpus)
        {
            throw new DumpFormatException(file, $"the dump has notes for {Math.Max(cpus.Count, qemu.Count)} CPUs, more than the limit of {limits.MaxCpus}");
        }

        for (int i = 0; i < cpus.Count; i++)
        {
            var q = i < qemu.Count ? qemu[i] : null;
            cpus[i] = cpus[i] with { Pid = producer == DumpProducer.Qemu ? null : cpus[i].Pid, Qemu = q };
        }

        for (int i = cpus.Count; i < qemu.Count; i++)
        {
            cpus.Add(new CpuState(i, null, null, qemu[i]));
        }

        return cpus;
    }
}
