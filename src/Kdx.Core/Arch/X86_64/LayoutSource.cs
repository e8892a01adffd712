namespace Kdx.Core.Arch.X86_64;

/// <summary>A value of the kernel's address layout that had to be found in the dump.</summary>
public enum LayoutItem
{
    /// <summary>4- or 5-level paging.</summary>
    PagingLevels,

    /// <summary>The AMD SME encryption bit.</summary>
    SmeMask,

    /// <summary>KASLR's offset of the kernel image.</summary>
    KernelOffset,

    /// <summary>phys_base: where the kernel image is in physical memory.</summary>
    PhysBase,

    /// <summary>KERNEL_IMAGE_SIZE: the size of the kernel-image mapping (the modules start after it).</summary>
    KernelImageSize,

    /// <summary>Where the kernel image mapping starts (_text rounded down to 2 MiB).</summary>
    KernelImageStart,

    /// <summary>The kernel's top-level page table (init_top_pgt).</summary>
    KernelPageTable,

    /// <summary>page_offset_base: the start of the direct map.</summary>
    PageOffsetBase,

    /// <summary>vmalloc_base: the start of the vmalloc/ioremap area.</summary>
    VmallocBase,

    /// <summary>vmemmap_base: the start of the struct page array.</summary>
    VmemmapBase,

    /// <summary>__per_cpu_offset[]: the per-CPU area offsets.</summary>
    PerCpuOffsets,
}

/// <summary>Where a layout value came from (for <c>help -m</c> / <c>help -D</c>).</summary>
public enum LayoutSource
{
    /// <summary>Not found: the kernel's default for a kernel without KASLR.</summary>
    Default,

    /// <summary>Given by the caller.</summary>
    Given,

    /// <summary>A VMCOREINFO entry.</summary>
    VmcoreInfo,

    /// <summary>A symbol's address from the symbol table (vmlinux, System.map, kallsyms).</summary>
    SymbolTable,

    /// <summary>A kernel variable read through a symbol's address.</summary>
    KernelVariable,

    /// <summary>QEMU's CPU state note (CR3, CR4).</summary>
    QemuCpuState,

    /// <summary>A scan of the kernel page tables.</summary>
    PageTableScan,

    /// <summary>The dump's own virtual-to-physical mappings (ELF PT_LOAD p_vaddr and p_paddr).</summary>
    DumpSegments,
}

/// <summary>Text for <see cref="LayoutSource"/> values.</summary>
public static class LayoutSourceText
{
    /// <summary>A few words, e.g. "VMCOREINFO" or "page-table scan".</summary>
    public static string Describe(this LayoutSource source) => source switch
    {
        LayoutSource.Default => "default (not found in the dump)",
        LayoutSource.Given => "given",
        LayoutSource.VmcoreInfo => "VMCOREINFO",
        LayoutSource.SymbolTable => "symbol table",
        LayoutSource.KernelVariable => "kernel variable",
        LayoutSource.QemuCpuState => "QEMU CPU state",
        LayoutSource.PageTableScan => "page-table scan",
        LayoutSource.DumpSegments => "dump segments (PT_LOAD)",
        _ => source.ToString(),
    };
}
