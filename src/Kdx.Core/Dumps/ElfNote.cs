namespace Kdx.Core.Dumps;

/// <summary>One ELF note of a core file (NT_PRSTATUS, VMCOREINFO, QEMU's CPU state …).</summary>
/// <param name="Name">The note's name without its NUL, e.g. "CORE", "VMCOREINFO", "QEMU".</param>
/// <param name="Type">The note type, e.g. 1 = NT_PRSTATUS.</param>
/// <param name="Descriptor">The note's descriptor bytes.</param>
/// <param name="FileOffset">Where the note header starts in the dump file, or -1 when the note did not come from an ELF file.</param>
public sealed record ElfNote(string Name, uint Type, ReadOnlyMemory<byte> Descriptor, long FileOffset)
{
    /// <summary>n_namesz as the file states it (the name's length with its NUL, e.g. 5 for "CORE"); 0 when unknown.</summary>
    public uint NameSize { get; init; }
}
