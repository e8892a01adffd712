namespace Kdx.Core.Dumps;

/// <summary>
/// Upper bounds every parser checks before it trusts a count or size read from a dump. Dumps are
/// hostile input: a corrupt header must give a clear error, not an out-of-memory or a hang.
/// The defaults are far above anything a real machine produces.
/// </summary>
public sealed record ParseLimits
{
    /// <summary>The defaults.</summary>
    public static ParseLimits Default { get; } = new();

    /// <summary>Most ELF program headers accepted (real vmcores: one per memory range, a few hundred).</summary>
    public int MaxProgramHeaders { get; init; } = 1 << 20;

    /// <summary>Most ELF section headers accepted.</summary>
    public int MaxSectionHeaders { get; init; } = 1 << 16;

    /// <summary>Most bytes of ELF notes read in total.</summary>
    public long MaxNoteBytes { get; init; } = 64L << 20;

    /// <summary>Most notes accepted (one NT_PRSTATUS per CPU, and a few more).</summary>
    public int MaxNotes { get; init; } = 1 << 16;

    /// <summary>Largest VMCOREINFO text accepted.</summary>
    public int MaxVmcoreInfoBytes { get; init; } = 1 << 20;

    /// <summary>Largest page size accepted.</summary>
    public int MaxPageSize { get; init; } = 1 << 20;

    /// <summary>Highest page frame number accepted (2^52 bytes of physical memory at 4 KiB pages).</summary>
    public ulong MaxPfn { get; init; } = 1UL << 40;

    /// <summary>Most CPUs accepted.</summary>
    public int MaxCpus { get; init; } = 1 << 16;

    /// <summary>Most ELF symbols accepted in one symbol table (a vmlinux has about 120,000).</summary>
    public int MaxSymbols { get; init; } = 1 << 24;

    /// <summary>Largest ELF section read into memory, after decompression (a vmlinux .debug_info is a few hundred MB).</summary>
    public long MaxSectionBytes { get; init; } = Array.MaxLength;

    /// <summary>Largest BTF blob accepted (a vmlinux's is 4–6 MB; BTF_MAX_TYPE bounds the types anyway).</summary>
    public int MaxBtfBytes { get; init; } = 256 << 20;

    /// <summary>Most loaded modules walked on the kernel's module list.</summary>
    public int MaxModules { get; init; } = 1 << 16;

    /// <summary>Most records accepted in a makedumpfile flattened stream.</summary>
    public long MaxFlattenedRecords { get; init; } = 1L << 32;
}
