namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// Which region of the x86_64 virtual memory map an address is in
/// (Documentation/arch/x86/x86_64/mm.rst; Documentation/x86/x86_64/mm.rst in 6.1).
/// </summary>
public enum KernelAddressKind
{
    /// <summary>User space (below 128 TiB, or 64 PiB with 5-level paging).</summary>
    User,

    /// <summary>Not canonical for the paging mode: no translation can exist.</summary>
    NonCanonical,

    /// <summary>The hypervisor guard hole at the bottom of kernel space.</summary>
    GuardHole,

    /// <summary>The LDT remap for PTI.</summary>
    LdtRemap,

    /// <summary>The direct mapping of all physical memory (page_offset_base).</summary>
    DirectMap,

    /// <summary>vmalloc/ioremap space (vmalloc_base).</summary>
    Vmalloc,

    /// <summary>The struct page array (vmemmap_base).</summary>
    Vmemmap,

    /// <summary>The cpu_entry_area mapping (per-CPU GDT, TSS, entry stacks).</summary>
    CpuEntryArea,

    /// <summary>The %esp fixup stacks.</summary>
    EspFix,

    /// <summary>The EFI runtime mapping space.</summary>
    Efi,

    /// <summary>The kernel image (text, data, bss) at __START_KERNEL_map.</summary>
    KernelImage,

    /// <summary>The module mapping space.</summary>
    Modules,

    /// <summary>The fixmap.</summary>
    Fixmap,

    /// <summary>The legacy vsyscall page.</summary>
    Vsyscall,

    /// <summary>A hole of kernel space that nothing should map.</summary>
    Unused,
}
