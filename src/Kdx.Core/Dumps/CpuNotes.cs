using Kdx.Core.Elf;

namespace Kdx.Core.Dumps;

/// <summary>Per-CPU states from a dump's notes: NT_PRSTATUS, and QEMU's CPU state notes in QEMU dumps.</summary>
public static class CpuNotes
{
    /// <summary>
    /// One CPU per NT_PRSTATUS note, with the i-th QEMU note attached to the i-th CPU: QEMU writes every CPU's
    /// NT_PRSTATUS, then every CPU's QEMU note, in CPU order, in its ELF dumps and in the note area of its
    /// kdump-zlib files alike (QEMU dump/dump.c write_elf64_notes, write_dump_header). QEMU's pr_pid is the
    /// CPU number + 1, not a task, so it is dropped when <paramref name="qemu"/> is set.
    /// Throws <see cref="DumpFormatException"/> when the notes describe more CPUs than the limit.
    /// </summary>
    public static List<CpuState> FromNotes(IReadOnlyList<ElfNote> notes, bool qemu, ParseLimits limits, string file)
    {
        ArgumentNullException.ThrowIfNull(notes);
        ArgumentNullException.ThrowIfNull(limits);
        var cpus = PrStatus.FromNotes(notes);
        var states = notes.Where(QemuNote.IsQemuNote).Select(n => QemuNote.Decode(n.Descriptor.Span)).ToList();
        if (Math.Max(cpus.Count, states.Count) > limits.MaxCpus)
        {
            throw new DumpFormatException(file, $"the dump has notes for {Math.Max(cpus.Count, states.Count)} CPUs, more than the limit of {limits.MaxCpus}");
        }

        for (int i = 0; i < cpus.Count; i++)
        {
            var q = i < states.Count ? states[i] : null;
            cpus[i] = cpus[i] with { Pid = qemu ? null : cpus[i].Pid, Qemu = q };
        }

        for (int i = cpus.Count; i < states.Count; i++)
        {
            cpus.Add(new CpuState(i, null, null, states[i]));
        }

        return cpus;
    }
}
