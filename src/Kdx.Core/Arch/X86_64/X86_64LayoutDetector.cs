using System.Globalization;
using Kdx.Core.Dumps;
using Kdx.Core.Memory;

namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// Finds the kernel's address layout in a dump from what the dump has (features, not versions), and
/// records how each value was found. In order of preference: VMCOREINFO (arch_crash_save_vmcoreinfo() in
/// arch/x86/kernel/crash_core_64.c), kernel variables read through symbol addresses, QEMU's CPU state
/// (CR3, CR4), scans of the kernel page table, the dump's PT_LOAD mappings, and last the non-KASLR defaults.
/// </summary>
public static partial class X86_64LayoutDetector
{
    private const ulong Cr4La57 = 1UL << 12;
    private const ulong OneGiB = 1UL << 30;

    /// <summary>Detects the layout.</summary>
    /// <param name="dump">The dump.</param>
    /// <param name="symbolAddress">
    /// Run-time (KASLR-relocated) addresses of kernel symbols by name, from vmlinux, System.map or kallsyms;
    /// null when there are none. VMCOREINFO SYMBOL() entries are used as well.
    /// </param>
    public static X86_64KernelLayout Detect(DumpFile dump, Func<string, ulong?>? symbolAddress = null)
    {
        ArgumentNullException.ThrowIfNull(dump);
        return new Detection(dump, symbolAddress).Run();
    }

    private sealed partial class Detection
    {
        private readonly DumpFile _dump;
        private readonly VmcoreInfo? _vmcoreInfo;
        private readonly Func<string, ulong?>? _symbols;
        private readonly Dictionary<LayoutItem, LayoutSource> _sources = [];
        private readonly List<string> _notes = [];

        public Detection(DumpFile dump, Func<string, ulong?>? symbols)
        {
            _dump = dump;
            _vmcoreInfo = dump.VmcoreInfo;
            _symbols = symbols;
        }

        public X86_64KernelLayout Run()
        {
            var layout = new X86_64KernelLayout();
            layout = DetectPagingLevels(layout);
            layout = DetectVmcoreInfoNumbers(layout);
            layout = DetectPhysBaseFromSegments(layout);
            layout = DetectKernelPageTable(layout);
            layout = DetectKernelImage(layout);
            layout = DetectPagingLevelsFromVariable(layout);
            layout = DetectRegions(layout);
            layout = DetectPerCpuOffsets(layout);
            if (layout.KernelPageTable is { } root && layout.KernelPageTableVirtual is null)
            {
                // A PGD from CR3 is an mm's PGD, reached through the direct map like mm->pgd. (It may also be
                // init_top_pgt, or a page of the image freed after boot, but without symbols nothing tells.)
                layout = layout with { KernelPageTableVirtual = layout.PhysicalToVirtual(root) };
            }

            return layout with { Sources = _sources, Notes = _notes };
        }

        private LayoutSource SourceOf(LayoutItem item) => _sources.TryGetValue(item, out var s) ? s : LayoutSource.Default;

        /// <summary>A symbol's run-time address: the caller's symbol table first, then VMCOREINFO SYMBOL().</summary>
        private ulong? Symbol(string name, out LayoutSource source)
        {
            if (_symbols?.Invoke(name) is { } a)
            {
                source = LayoutSource.SymbolTable;
                return a;
            }

            source = LayoutSource.VmcoreInfo;
            return _vmcoreInfo?.Symbol(name);
        }

        private QemuCpuState? FirstQemuCpu() => _dump.Cpus.Select(c => c.Qemu).FirstOrDefault(q => q is not null);

        private X86_64KernelLayout DetectPagingLevels(X86_64KernelLayout layout)
        {
            if (_vmcoreInfo?.Number("pgtable_l5_enabled") is { } l5)
            {
                _sources[LayoutItem.PagingLevels] = LayoutSource.VmcoreInfo;
                return WithLevels(layout, l5 != 0 ? 5 : 4);
            }

            if (FirstQemuCpu() is { } qemu)
            {
                _sources[LayoutItem.PagingLevels] = LayoutSource.QemuCpuState;
                return WithLevels(layout, (qemu.Cr4 & Cr4La57) != 0 ? 5 : 4);
            }

            // A kernel address below 4-level kernel space exists only with 5-level paging (the reverse does not
            // hold: 5-level KASLR may put the direct map anywhere up to cpu_entry_area).
            if (_dump.VirtualMappings.Any(m => m.VirtualStart >= X86_64KernelLayout.Defaults(5).KernelSpaceStart
                && m.VirtualStart < X86_64KernelLayout.Defaults(4).KernelSpaceStart))
            {
                _sources[LayoutItem.PagingLevels] = LayoutSource.DumpSegments;
                return WithLevels(layout, 5);
            }

            return layout;
        }

        private static X86_64KernelLayout WithLevels(X86_64KernelLayout layout, int levels)
        {
            var d = X86_64KernelLayout.Defaults(levels);
            return layout with
            {
                PagingLevels = levels,
                PageOffsetBase = d.PageOffsetBase,
                VmallocBase = d.VmallocBase,
                VmemmapBase = d.VmemmapBase,
            };
        }

        private X86_64KernelLayout DetectVmcoreInfoNumbers(X86_64KernelLayout layout)
        {
            if (_vmcoreInfo is not { } vi)
            {
                return layout;
            }

            if (vi.Number("sme_mask") is { } sme)
            {
                layout = layout with { SmeMask = unchecked((ulong)sme) };
                _sources[LayoutItem.SmeMask] = LayoutSource.VmcoreInfo;
            }

            if (vi.KernelOffset is { } offset)
            {
                layout = layout with { KernelOffset = offset };
                _sources[LayoutItem.KernelOffset] = LayoutSource.VmcoreInfo;
            }

            if (vi.Number("KERNEL_IMAGE_SIZE") is { } size)
            {
                if (size > 0 && (ulong)size <= X86_64KernelLayout.DefaultModulesEnd - X86_64KernelLayout.StartKernelMap)
                {
                    layout = layout with { KernelImageSize = (ulong)size };
                    _sources[LayoutItem.KernelImageSize] = LayoutSource.VmcoreInfo;
                }
                else
                {
                    _notes.Add(string.Create(CultureInfo.InvariantCulture, $"VMCOREINFO NUMBER(KERNEL_IMAGE_SIZE)={size} is out of range; using 1 GiB"));
                }
            }

            // phys_base is printed as a signed decimal and may be negative: keep it modulo 2^64.
            if (vi.Number("phys_base") is { } physBase)
            {
                layout = layout with { PhysBase = unchecked((ulong)physBase) };
                _sources[LayoutItem.PhysBase] = LayoutSource.VmcoreInfo;
            }

            return layout;
        }

        /// <summary>/proc/vmcore's kernel-text PT_LOAD maps _text to its physical address: phys_base follows.</summary>
        private X86_64KernelLayout DetectPhysBaseFromSegments(X86_64KernelLayout layout)
        {
            if (_sources.ContainsKey(LayoutItem.PhysBase))
            {
                return layout;
            }

            foreach (var m in _dump.VirtualMappings)
            {
                if (m.VirtualStart >= X86_64KernelLayout.StartKernelMap && m.VirtualStart < layout.KernelImageEnd)
                {
                    // The kernel's own elfcorehdr (crash_prepare_elf64_headers()) starts this segment at _text.
                    _sources[LayoutItem.PhysBase] = LayoutSource.DumpSegments;
                    _sources[LayoutItem.KernelImageStart] = LayoutSource.DumpSegments;
                    return layout with
                    {
                        PhysBase = unchecked(m.PhysicalStart - (m.VirtualStart - X86_64KernelLayout.StartKernelMap)),
                        KernelImageStart = m.VirtualStart & ~0x1F_FFFFUL,
                    };
                }
            }

            return layout;
        }

        private X86_64KernelLayout DetectKernelPageTable(X86_64KernelLayout layout) =>
            WithSymbolPageTable(layout) ?? DetectKernelPageTableFromCr3(layout);

        /// <summary>
        /// The page table at the init_top_pgt symbol (Linux v4.13+; init_level4_pgt before; VMCOREINFO's
        /// swapper_pg_dir is the same table), when the symbol and phys_base are known; else null.
        /// </summary>
        private X86_64KernelLayout? WithSymbolPageTable(X86_64KernelLayout layout)
        {
            if (!_sources.ContainsKey(LayoutItem.PhysBase))
            {
                return null;
            }

            foreach (var name in (string[])["init_top_pgt", "init_level4_pgt", "swapper_pg_dir"])
            {
                if (Symbol(name, out var source) is not { } va)
                {
                    continue;
                }

                if (va < X86_64KernelLayout.StartKernelMap || va >= layout.KernelImageEnd)
                {
                    _notes.Add(string.Create(CultureInfo.InvariantCulture, $"{name} at {va:x} is outside the kernel image; ignored"));
                    continue;
                }

                _sources[LayoutItem.KernelPageTable] = source;
                return layout with
                {
                    KernelPageTable = layout.KernelImageToPhysical(va) & PageTableEntry.FrameMask,
                    KernelPageTableVirtual = va,
                };
            }

            return null;
        }

        /// <summary>
        /// QEMU's CR3: the PGD of whatever ran on the CPU, whose kernel half is the kernel's. With PTI a CPU in
        /// user mode has the user copy (bit 12 set, the kernel copy is the 4 KiB below it), which maps little of
        /// the kernel: of all candidates, the table with the most present kernel-half entries wins.
        /// </summary>
        private X86_64KernelLayout DetectKernelPageTableFromCr3(X86_64KernelLayout layout)
        {
            var walker = new PageTableWalker(_dump, layout.PagingLevels, layout.SmeMask);
            var table = new ulong[512];
            ulong best = 0;
            int bestCount = 0;
            int bestCpu = -1;
            foreach (var cpu in _dump.Cpus)
            {
                if (cpu.Qemu is not { } q || q.Cr3 == 0)
                {
                    continue;
                }

                ulong cr3 = q.Cr3 & walker.FrameMask;
                foreach (ulong candidate in (ulong[])[cr3, cr3 & ~0x1000UL])
                {
                    if (walker.ReadTable(candidate, table) != ReadStatus.Ok)
                    {
                        continue;
                    }

                    int count = 0;
                    for (int i = 256; i < 512; i++)
                    {
                        count += PageTableEntry.IsPresent(table[i]) ? 1 : 0;
                    }

                    if (count > bestCount)
                    {
                        (best, bestCount, bestCpu) = (candidate, count, cpu.Cpu);
                    }
                }
            }

            if (bestCpu < 0)
            {
                return layout;
            }

            _sources[LayoutItem.KernelPageTable] = LayoutSource.QemuCpuState;
            _notes.Add(string.Create(CultureInfo.InvariantCulture, $"kernel page table from CR3 of CPU {bestCpu}: {best:x}"));
            return layout with { KernelPageTable = best };
        }

        /// <summary>
        /// Finds where the kernel image is mapped; phys_base follows when nothing else gave it. A page table from
        /// a symbol that does not map the kernel image gives way to CR3; a page table from CR3 gives way to
        /// init_top_pgt once phys_base is known (crash's vtop shows init_top_pgt).
        /// </summary>
        private X86_64KernelLayout DetectKernelImage(X86_64KernelLayout layout)
        {
            if (layout.KernelPageTable is not { } root)
            {
                return layout;
            }

            if (!TryFindKernelImage(layout, root, out ulong va, out ulong pa))
            {
                var fromCr3 = SourceOf(LayoutItem.KernelPageTable) == LayoutSource.QemuCpuState
                    ? null
                    : DetectKernelPageTableFromCr3(layout with { KernelPageTable = null, KernelPageTableVirtual = null });
                if (fromCr3?.KernelPageTable is not { } cr3Root || !TryFindKernelImage(fromCr3, cr3Root, out va, out pa))
                {
                    _notes.Add("the kernel page table maps nothing at __START_KERNEL_map");
                    return layout;
                }

                _notes.Add(string.Create(CultureInfo.InvariantCulture, $"the page table at {root:x} maps nothing at __START_KERNEL_map; using CR3"));
                layout = fromCr3;
            }

            layout = layout with { KernelImageStart = va };
            _sources[LayoutItem.KernelImageStart] = LayoutSource.PageTableScan;
            ulong physBase = unchecked(pa - (va - X86_64KernelLayout.StartKernelMap));
            if (!_sources.ContainsKey(LayoutItem.PhysBase))
            {
                _sources[LayoutItem.PhysBase] = LayoutSource.PageTableScan;
                layout = layout with { PhysBase = physBase };
                if (SourceOf(LayoutItem.KernelPageTable) == LayoutSource.QemuCpuState)
                {
                    var cr3Source = _sources[LayoutItem.KernelPageTable];
                    if (WithSymbolPageTable(layout) is { KernelPageTable: { } symbolRoot } bySymbol
                        && TryFindKernelImage(bySymbol, symbolRoot, out ulong va2, out ulong pa2) && va2 == va && pa2 == pa)
                    {
                        return bySymbol;
                    }

                    _sources[LayoutItem.KernelPageTable] = cr3Source;
                }

                return layout;
            }

            if (physBase != layout.PhysBase)
            {
                _notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"the page tables map the kernel image with phys_base {physBase:x}, not {layout.PhysBase:x} ({SourceOf(LayoutItem.PhysBase).Describe()})"));
            }

            return layout;
        }

        private bool TryFindKernelImage(X86_64KernelLayout layout, ulong root, out ulong va, out ulong pa) =>
            new KernelPageTableScan(new PageTableWalker(_dump, layout.PagingLevels, layout.SmeMask), root)
                .TryFindKernelImage(layout.KernelImageSize, out va, out pa);

        /// <summary>Without VMCOREINFO or QEMU's CR4, the kernel's own __pgtable_l5_enabled (Linux v4.17+).</summary>
        private X86_64KernelLayout DetectPagingLevelsFromVariable(X86_64KernelLayout layout)
        {
            if (_sources.ContainsKey(LayoutItem.PagingLevels) || Symbol("__pgtable_l5_enabled", out _) is not { } va)
            {
                return layout;
            }

            var memory = new KernelVirtualMemory(_dump, layout);
            Span<byte> b = stackalloc byte[4];
            if (memory.Read(va, b, out _) != ReadStatus.Ok)
            {
                return layout;
            }

            _sources[LayoutItem.PagingLevels] = LayoutSource.KernelVariable;
            return b[0] != 0 ? WithLevels(layout, 5) : layout;
        }
    }
}
