using Kdx.Core.Arch.X86_64;

namespace Kdx.Core.Dumps;

/// <summary>
/// What the dump recorded about one CPU at the crash: the registers from its NT_PRSTATUS note
/// (kdump saves them in crash_save_cpu()), and, in QEMU dumps, QEMU's own CPU state note.
/// </summary>
/// <param name="Cpu">The CPU's position among the notes (the kernel writes them in CPU order for online CPUs).</param>
/// <param name="Pid">pr_pid of the NT_PRSTATUS note: the pid of the task running on that CPU, when known.</param>
/// <param name="Registers">The general registers, when the dump has them.</param>
/// <param name="Qemu">QEMU's CPU state (control registers, descriptor tables), for QEMU dumps.</param>
public sealed record CpuState(int Cpu, int? Pid, X86_64Registers? Registers, QemuCpuState? Qemu);

/// <summary>
/// QEMU's "QEMU" note (<c>QEMUCPUState</c>, version 1): the registers a kdump note lacks.
/// Enough to translate addresses without VMCOREINFO: CR3 gives the page tables.
/// </summary>
public sealed record QemuCpuState
{
    /// <summary>The names of the general registers in QEMUCPUState order.</summary>
    public static IReadOnlyList<string> RegisterNames { get; } =
        ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"];

    /// <summary>The names of the segment and descriptor-table registers in QEMUCPUState order.</summary>
    public static IReadOnlyList<string> SegmentNames { get; } = ["cs", "ds", "es", "fs", "gs", "ss", "ldt", "tr", "gdt", "idt"];

    /// <summary>The note's version field (1 in every QEMU so far).</summary>
    public uint Version { get; init; }

    /// <summary>The note's size field: sizeof(QEMUCPUState) in the QEMU that wrote it.</summary>
    public uint Size { get; init; }

    /// <summary>rax … r15, rip, rflags in QEMU's order, by name.</summary>
    public IReadOnlyDictionary<string, ulong> Registers { get; init; } = new Dictionary<string, ulong>();

    /// <summary>Control register 0.</summary>
    public ulong Cr0 { get; init; }

    /// <summary>Control register 1 (reserved).</summary>
    public ulong Cr1 { get; init; }

    /// <summary>Control register 2: the last page-fault address.</summary>
    public ulong Cr2 { get; init; }

    /// <summary>Control register 3: the physical address of the top-level page table (with PCID bits).</summary>
    public ulong Cr3 { get; init; }

    /// <summary>Control register 4 (bit 12 = LA57, 5-level paging).</summary>
    public ulong Cr4 { get; init; }

    /// <summary>Segment registers and descriptor tables by name: cs ds es fs gs ss ldt tr gdt idt.</summary>
    public IReadOnlyDictionary<string, QemuSegment> Segments { get; init; } = new Dictionary<string, QemuSegment>();

    /// <summary>
    /// The kernel GS base (the per-CPU area pointer while in user mode), when the note has it (newer
    /// QEMUs append it; the size field tells).
    /// </summary>
    public ulong? KernelGsBase { get; init; }

    /// <summary>A general register by its QEMU name (see <see cref="RegisterNames"/>).</summary>
    public ulong this[string register] => Registers[register];
}

/// <summary>A segment or descriptor-table register of QEMU's CPU state.</summary>
/// <param name="Selector">The selector.</param>
/// <param name="Limit">The limit.</param>
/// <param name="Flags">The flags.</param>
/// <param name="Base">The base address.</param>
public sealed record QemuSegment(uint Selector, uint Limit, uint Flags, ulong Base)
{
    /// <summary>The pad field (QEMU writes 0).</summary>
    public uint Pad { get; init; }
}
