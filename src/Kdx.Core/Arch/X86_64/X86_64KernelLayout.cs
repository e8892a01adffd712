namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// Where the running kernel put its address regions: paging levels, KASLR offsets, phys_base, the kernel
/// page table and the randomized bases of the direct map, vmalloc and vmemmap, with how each was found
/// (<see cref="Sources"/>). <see cref="X86_64LayoutDetector"/> fills it from a dump; tests build it directly.
/// Region facts: arch/x86/include/asm/pgtable_64_types.h, page_64_types.h and mm.rst of Linux 6.1.
/// </summary>
public sealed record X86_64KernelLayout
{
    /// <summary>__START_KERNEL_map: the kernel image mapping starts here (page_64_types.h).</summary>
    public const ulong StartKernelMap = 0xffff_ffff_8000_0000;

    /// <summary>__PAGE_OFFSET_BASE_L4: the direct map without KASLR, 4-level paging (Linux v4.20+).</summary>
    public const ulong DefaultPageOffsetL4 = 0xffff_8880_0000_0000;

    /// <summary>__PAGE_OFFSET_BASE_L5: the direct map without KASLR, 5-level paging.</summary>
    public const ulong DefaultPageOffsetL5 = 0xff11_0000_0000_0000;

    /// <summary>__VMALLOC_BASE_L4.</summary>
    public const ulong DefaultVmallocL4 = 0xffff_c900_0000_0000;

    /// <summary>__VMALLOC_BASE_L5.</summary>
    public const ulong DefaultVmallocL5 = 0xffa0_0000_0000_0000;

    /// <summary>__VMEMMAP_BASE_L4.</summary>
    public const ulong DefaultVmemmapL4 = 0xffff_ea00_0000_0000;

    /// <summary>__VMEMMAP_BASE_L5.</summary>
    public const ulong DefaultVmemmapL5 = 0xffd4_0000_0000_0000;

    /// <summary>CPU_ENTRY_AREA_BASE (-4 &lt;&lt; P4D_SHIFT): also vaddr_end, the top of the KASLR regions (arch/x86/mm/kaslr.c).</summary>
    public const ulong CpuEntryAreaBase = 0xffff_fe00_0000_0000;

    /// <summary>ESPFIX_BASE_ADDR (-2 &lt;&lt; P4D_SHIFT).</summary>
    public const ulong EspFixBase = 0xffff_ff00_0000_0000;

    /// <summary>EFI_VA_END: the bottom of the EFI runtime region (it grows down from EFI_VA_START).</summary>
    public const ulong EfiStart = 0xffff_ffef_0000_0000;

    /// <summary>EFI_VA_START.</summary>
    public const ulong EfiEnd = 0xffff_ffff_0000_0000;

    /// <summary>MODULES_END (without CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP).</summary>
    public const ulong DefaultModulesEnd = 0xffff_ffff_ff00_0000;

    /// <summary>VSYSCALL_ADDR: the legacy vsyscall page.</summary>
    public const ulong VsyscallAddress = 0xffff_ffff_ff60_0000;

    /// <summary>The fixmap ends below here (FIXADDR_TOP rounded up to its 2 MiB).</summary>
    public const ulong FixmapEnd = 0xffff_ffff_ff80_0000;

    /// <summary>KERNEL_IMAGE_SIZE with CONFIG_RANDOMIZE_BASE (1 GiB; 512 MiB without).</summary>
    public const ulong DefaultKernelImageSize = 1UL << 30;

    private const ulong HalfTiB = 1UL << 39;
    private const ulong OneTiB = 1UL << 40;

    /// <summary>4 or 5.</summary>
    public int PagingLevels { get; init; } = 4;

    /// <summary>The AMD SME encryption bit of page-table entries (0 when none).</summary>
    public ulong SmeMask { get; init; }

    /// <summary>KASLR's offset of the kernel image (VMCOREINFO KERNELOFFSET), when known.</summary>
    public ulong? KernelOffset { get; init; }

    /// <summary>
    /// phys_base: a kernel-image address <c>v</c> is at physical <c>v - __START_KERNEL_map + phys_base</c>.
    /// May be "negative" (wraps around); all arithmetic on it is modulo 2^64.
    /// </summary>
    public ulong PhysBase { get; init; }

    /// <summary>KERNEL_IMAGE_SIZE.</summary>
    public ulong KernelImageSize { get; init; } = DefaultKernelImageSize;

    /// <summary>
    /// The lowest mapped address of the kernel-image mapping (_text rounded down to 2 MiB: cleanup_highmap()
    /// unmaps the rest), from the page tables or the dump's kernel-text PT_LOAD. With a vmlinux and no KERNELOFFSET, the KASLR
    /// offset is this minus the link-time _text rounded down to 2 MiB.
    /// </summary>
    public ulong? KernelImageStart { get; init; }

    /// <summary>
    /// The physical address of the kernel's top-level page table, when known: init_top_pgt, or without
    /// VMCOREINFO and symbols the PGD in a CPU's CR3 (whose kernel half is the same).
    /// </summary>
    public ulong? KernelPageTable { get; init; }

    /// <summary>
    /// The virtual address of <see cref="KernelPageTable"/>: the init_top_pgt symbol (crash's <c>vtop</c> prints it
    /// as "PGD DIRECTORY"), or the direct-map address of a CR3 table.
    /// </summary>
    public ulong? KernelPageTableVirtual { get; init; }

    /// <summary>page_offset_base: the direct map starts here (physical address 0).</summary>
    public ulong PageOffsetBase { get; init; } = DefaultPageOffsetL4;

    /// <summary>vmalloc_base.</summary>
    public ulong VmallocBase { get; init; } = DefaultVmallocL4;

    /// <summary>vmemmap_base: the struct page of pfn 0.</summary>
    public ulong VmemmapBase { get; init; } = DefaultVmemmapL4;

    /// <summary>__per_cpu_offset[cpu] for each possible CPU (empty when unknown).</summary>
    public IReadOnlyList<ulong> PerCpuOffsets { get; init; } = [];

    /// <summary>How each value was found; a value missing here is a default.</summary>
    public IReadOnlyDictionary<LayoutItem, LayoutSource> Sources { get; init; } = new Dictionary<LayoutItem, LayoutSource>();

    /// <summary>Remarks made while detecting the layout (a value that disagreed, a fallback taken).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>MAX_PHYSMEM_BITS: 46 with 4-level paging, 52 with 5-level (asm/sparsemem.h).</summary>
    public int MaxPhysmemBits => PagingLevels == 5 ? 52 : 46;

    /// <summary>The first address above user space (TASK_SIZE_MAX rounded up to the non-canonical hole).</summary>
    public ulong UserTop => PagingLevels == 5 ? 1UL << 56 : 1UL << 47;

    /// <summary>The lowest canonical kernel address.</summary>
    public ulong KernelSpaceStart => PagingLevels == 5 ? 0xff00_0000_0000_0000 : 0xffff_8000_0000_0000;

    /// <summary>LDT_BASE_ADDR (-240 &lt;&lt; PGDIR_SHIFT).</summary>
    public ulong LdtRemapStart => unchecked((ulong)-240L << PgdirShift);

    /// <summary>
    /// The end of the direct-map region: vmalloc_base (crash translates everything below it arithmetically),
    /// or, when vmalloc_base is not above page_offset_base, page_offset_base + 2^MAX_PHYSMEM_BITS but not past
    /// CPU_ENTRY_AREA_BASE (the end of the KASLR regions).
    /// </summary>
    public ulong DirectMapEnd
    {
        get
        {
            if (VmallocBase > PageOffsetBase)
            {
                return VmallocBase;
            }

            ulong room = PageOffsetBase < CpuEntryAreaBase ? CpuEntryAreaBase - PageOffsetBase : 0;
            return PageOffsetBase + Math.Min(room, 1UL << MaxPhysmemBits);
        }
    }

    /// <summary>The end of vmalloc space: vmalloc_base + VMALLOC_SIZE_TB (32 TiB, or 12800 TiB with 5 levels).</summary>
    public ulong VmallocEnd => VmallocBase + ((PagingLevels == 5 ? 12800UL : 32UL) * OneTiB);

    /// <summary>The end of the vmemmap region: room for a 64-byte struct page per page of 2^MAX_PHYSMEM_BITS.</summary>
    public ulong VmemmapEnd => VmemmapBase + (1UL << (MaxPhysmemBits - 12 + 6));

    /// <summary>The end of the kernel image mapping: __START_KERNEL_map + KERNEL_IMAGE_SIZE.</summary>
    public ulong KernelImageEnd => StartKernelMap + KernelImageSize;

    /// <summary>MODULES_VADDR: right after the kernel image mapping.</summary>
    public ulong ModulesStart => KernelImageEnd;

    /// <summary>MODULES_END (0xfffffffffe000000 with CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP).</summary>
    public ulong ModulesEnd { get; init; } = DefaultModulesEnd;

    private int PgdirShift => PagingLevels == 5 ? 48 : 39;

    /// <summary>The layout of a kernel without KASLR (every base at its default).</summary>
    public static X86_64KernelLayout Defaults(int pagingLevels) => pagingLevels switch
    {
        4 => new X86_64KernelLayout(),
        5 => new X86_64KernelLayout
        {
            PagingLevels = 5,
            PageOffsetBase = DefaultPageOffsetL5,
            VmallocBase = DefaultVmallocL5,
            VmemmapBase = DefaultVmemmapL5,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(pagingLevels), pagingLevels, "x86_64 paging has 4 or 5 levels"),
    };

    /// <summary>How a value was found.</summary>
    public LayoutSource SourceOf(LayoutItem item) => Sources.TryGetValue(item, out var s) ? s : LayoutSource.Default;

    /// <summary>Which region <paramref name="address"/> is in.</summary>
    public KernelAddressKind Classify(ulong address)
    {
        if (address < UserTop)
        {
            return KernelAddressKind.User;
        }

        if (address < KernelSpaceStart)
        {
            return KernelAddressKind.NonCanonical;
        }

        // The KASLR regions first: they may be anywhere between page_offset_base's default and vaddr_end.
        if (address >= PageOffsetBase && address < DirectMapEnd)
        {
            return KernelAddressKind.DirectMap;
        }

        if (address >= VmallocBase && address < VmallocEnd)
        {
            return KernelAddressKind.Vmalloc;
        }

        if (address >= VmemmapBase && address < VmemmapEnd)
        {
            return KernelAddressKind.Vmemmap;
        }

        ulong pgdirSize = 1UL << PgdirShift;
        return address switch
        {
            _ when address < LdtRemapStart => KernelAddressKind.GuardHole,
            _ when address - LdtRemapStart < pgdirSize => KernelAddressKind.LdtRemap,
            _ when address >= CpuEntryAreaBase && address < CpuEntryAreaBase + HalfTiB => KernelAddressKind.CpuEntryArea,
            _ when address >= EspFixBase && address < EspFixBase + HalfTiB => KernelAddressKind.EspFix,
            _ when address >= EfiStart && address < EfiEnd => KernelAddressKind.Efi,
            _ when address >= StartKernelMap && address < KernelImageEnd => KernelAddressKind.KernelImage,
            _ when address >= ModulesStart && address < ModulesEnd => KernelAddressKind.Modules,
            _ when address >= VsyscallAddress && address < VsyscallAddress + 0x1000 => KernelAddressKind.Vsyscall,
            _ when address >= ModulesEnd && address < FixmapEnd => KernelAddressKind.Fixmap,
            _ => KernelAddressKind.Unused,
        };
    }

    /// <summary>
    /// Translates the addresses crash translates without a page-table walk (x86_64_kvtop: everything that is not
    /// vmalloc, vmemmap, module, vsyscall or cpu_entry_area space goes through x86_64_VTOP): the direct map by
    /// subtracting page_offset_base, the kernel image by <c>v - __START_KERNEL_map + phys_base</c>.
    /// </summary>
    /// <param name="address">A kernel virtual address.</param>
    /// <param name="physicalAddress">The physical address.</param>
    /// <param name="contiguousBytes">How many bytes from <paramref name="address"/> on translate the same way (to the region's end).</param>
    /// <returns>False when the address needs a page-table walk.</returns>
    public bool TryTranslateLinear(ulong address, out ulong physicalAddress, out ulong contiguousBytes)
    {
        if (address >= PageOffsetBase && address < DirectMapEnd)
        {
            physicalAddress = address - PageOffsetBase;
            contiguousBytes = DirectMapEnd - address;
            return true;
        }

        if (address >= StartKernelMap && address < KernelImageEnd)
        {
            physicalAddress = unchecked(address - StartKernelMap + PhysBase);
            contiguousBytes = KernelImageEnd - address;
            return true;
        }

        physicalAddress = 0;
        contiguousBytes = 0;
        return false;
    }

    /// <summary>crash's PTOV: the direct-map address of a physical address (<c>paddr + page_offset_base</c>).</summary>
    public ulong PhysicalToVirtual(ulong physicalAddress) => unchecked(physicalAddress + PageOffsetBase);

    /// <summary>__pa_symbol(): the physical address of a kernel-image address.</summary>
    public ulong KernelImageToPhysical(ulong address) => unchecked(address - StartKernelMap + PhysBase);

    /// <summary>The address of a per-CPU variable on one CPU: the symbol's address plus __per_cpu_offset[cpu].</summary>
    /// <exception cref="KdxException">The per-CPU offsets are unknown or the CPU is out of range.</exception>
    public ulong PerCpuAddress(ulong symbolAddress, int cpu)
    {
        if (PerCpuOffsets.Count == 0)
        {
            throw new KdxException("per-CPU offsets are unknown (needs the __per_cpu_offset symbol)");
        }

        if (cpu < 0 || cpu >= PerCpuOffsets.Count)
        {
            throw new KdxException($"invalid cpu {cpu}: the kernel has {PerCpuOffsets.Count} possible CPUs");
        }

        return unchecked(symbolAddress + PerCpuOffsets[cpu]);
    }

    /// <summary>The layout as (name, value, how found) lines for <c>help -m</c>.</summary>
    public IReadOnlyList<(string Name, string Value, string Source)> Describe()
    {
        string Hex(ulong v) => v.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        string Src(LayoutItem i) => SourceOf(i).Describe();
        return
        [
            ("paging levels", PagingLevels.ToString(System.Globalization.CultureInfo.InvariantCulture), Src(LayoutItem.PagingLevels)),
            ("sme_mask", Hex(SmeMask), Src(LayoutItem.SmeMask)),
            ("KERNELOFFSET", KernelOffset is { } o ? Hex(o) : "unknown", Src(LayoutItem.KernelOffset)),
            ("phys_base", Hex(PhysBase), Src(LayoutItem.PhysBase)),
            ("KERNEL_IMAGE_SIZE", Hex(KernelImageSize), Src(LayoutItem.KernelImageSize)),
            ("kernel image mapped from", KernelImageStart is { } t ? Hex(t) : "unknown", Src(LayoutItem.KernelImageStart)),
            ("kernel page table (physical)", KernelPageTable is { } p ? Hex(p) : "unknown", Src(LayoutItem.KernelPageTable)),
            ("page_offset_base", Hex(PageOffsetBase), Src(LayoutItem.PageOffsetBase)),
            ("vmalloc_base", Hex(VmallocBase), Src(LayoutItem.VmallocBase)),
            ("vmemmap_base", Hex(VmemmapBase), Src(LayoutItem.VmemmapBase)),
            ("__per_cpu_offset", PerCpuOffsets.Count == 0 ? "unknown" : $"{PerCpuOffsets.Count} CPUs", Src(LayoutItem.PerCpuOffsets)),
        ];
    }
}
