namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// Scans of the kernel page table that find the layout when the dump does not state it: where the kernel
/// image is mapped (hence phys_base) and where the KASLR regions are. Linux 6.1 arch/x86/mm/kaslr.c puts
/// the direct map, vmalloc and vmemmap, in that order, at 1 GiB-aligned random bases between
/// __PAGE_OFFSET_BASE_L4/L5 and CPU_ENTRY_AREA_BASE; the direct map maps physical 0 at its base.
/// Every scan reads a bounded number of tables (at most 512 entries per level).
/// </summary>
internal sealed class KernelPageTableScan
{
    private const ulong OneGiB = 1UL << 30;
    private const ulong TwoMiB = 1UL << 21;

    // A real kernel needs a few tables per mapped GiB; corrupt tables must not make a scan read the whole dump.
    private const int MaxTableReads = 1 << 14;

    private readonly PageTableWalker _walker;
    private readonly ulong _root;
    private int _tableReads;

    public KernelPageTableScan(PageTableWalker walker, ulong root)
    {
        _walker = walker;
        _root = root;
    }

    /// <summary>
    /// The lowest mapped 2 MiB of the kernel-image mapping and its physical address (every address there
    /// maps to <c>v - __START_KERNEL_map + phys_base</c>).
    /// </summary>
    public bool TryFindKernelImage(ulong imageSize, out ulong virtualStart, out ulong physicalStart)
    {
        for (ulong va = X86_64KernelLayout.StartKernelMap; va - X86_64KernelLayout.StartKernelMap < imageSize; va += TwoMiB)
        {
            if (_walker.Translate(_root, va, out ulong pa, out _) == Memory.ReadStatus.Ok)
            {
                virtualStart = va;
                physicalStart = pa;
                return true;
            }
        }

        virtualStart = 0;
        physicalStart = 0;
        return false;
    }

    /// <summary>
    /// Every present 1 GiB slot (PUD entry) of kernel space from <paramref name="start"/> up to
    /// <paramref name="end"/>, with the first page mapped in it, in address order.
    /// </summary>
    public List<MappedSlot> FindSlots(ulong start, ulong end)
    {
        var slots = new List<MappedSlot>();
        var top = new ulong[512];
        if (!ReadTable(_root, top))
        {
            return slots;
        }

        int topShift = _walker.ShiftAt(0);
        for (int i = 256; i < 512; i++)
        {
            ulong topVa = SignExtend((ulong)i << topShift);
            if (!PageTableEntry.IsPresent(top[i]) || topVa + ((1UL << topShift) - 1) < start || topVa >= end)
            {
                continue;
            }

            if (_walker.Levels == 5)
            {
                var p4d = new ulong[512];
                if (!ReadTable(top[i], p4d))
                {
                    continue;
                }

                for (int j = 0; j < 512; j++)
                {
                    ulong p4dVa = topVa + ((ulong)j << 39);
                    if (PageTableEntry.IsPresent(p4d[j]) && p4dVa + ((1UL << 39) - 1) >= start && p4dVa < end)
                    {
                        AddPudSlots(p4d[j], p4dVa, start, end, slots);
                    }
                }
            }
            else
            {
                AddPudSlots(top[i], topVa, start, end, slots);
            }
        }

        return slots;
    }

    /// <summary>
    /// Infers the KASLR region bases from the mapped slots: the direct map is the lowest slot whose first page
    /// maps the physical address at the same offset (virtual minus physical is the slot's own address);
    /// above the direct map (which spans <paramref name="physicalEnd"/>), the first run of consecutive slots is
    /// vmalloc and the last is vmemmap.
    /// </summary>
    public static void InferRegions(IReadOnlyList<MappedSlot> slots, ulong physicalEnd, out ulong? pageOffsetBase,
        out ulong? vmallocBase, out ulong? vmemmapBase)
    {
        pageOffsetBase = vmallocBase = vmemmapBase = null;
        int first = -1;
        for (int i = 0; i < slots.Count; i++)
        {
            if (slots[i].FirstVirtual - slots[i].FirstPhysical == slots[i].Slot)
            {
                first = i;
                break;
            }
        }

        if (first < 0)
        {
            return;
        }

        ulong baseVa = slots[first].Slot;
        pageOffsetBase = baseVa;
        ulong directEnd = baseVa + RoundUp(physicalEnd, OneGiB);

        // Runs of consecutive slots above the direct map.
        var runStarts = new List<ulong>();
        ulong previous = 0;
        for (int i = first + 1; i < slots.Count; i++)
        {
            var s = slots[i];
            if (s.Slot < directEnd || s.FirstVirtual - s.FirstPhysical == baseVa)
            {
                continue; // still the direct map
            }

            if (runStarts.Count == 0 || s.Slot != previous + OneGiB)
            {
                runStarts.Add(s.Slot);
            }

            previous = s.Slot;
        }

        if (runStarts.Count >= 2)
        {
            vmallocBase = runStarts[0];
            vmemmapBase = runStarts[^1];
        }
        else if (runStarts.Count == 1)
        {
            // A booted kernel always has vmalloc mappings (vmap'd stacks), so one run alone is vmemmap.
            vmemmapBase = runStarts[0];
        }
    }

    private bool ReadTable(ulong entry, ulong[] table) =>
        ++_tableReads <= MaxTableReads && _walker.ReadTable(entry, table) == Memory.ReadStatus.Ok;

    private static ulong RoundUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);

    private ulong SignExtend(ulong address)
    {
        int bits = _walker.Levels == 5 ? 57 : 48;
        return (ulong)((long)(address << (64 - bits)) >> (64 - bits));
    }

    private void AddPudSlots(ulong upperEntry, ulong upperVa, ulong start, ulong end, List<MappedSlot> slots)
    {
        var pud = new ulong[512];
        if (!ReadTable(upperEntry, pud))
        {
            return;
        }

        for (int k = 0; k < 512; k++)
        {
            ulong slotVa = upperVa + ((ulong)k << 30);
            if (slotVa < start || slotVa >= end || !PageTableEntry.IsPresent(pud[k]))
            {
                continue;
            }

            if (TryFirstPage(pud[k], slotVa, out ulong va, out ulong pa))
            {
                slots.Add(new MappedSlot(slotVa, va, pa));
            }
        }
    }

    /// <summary>The first mapped page under a present PUD entry (reads at most one PMD and one PTE table).</summary>
    private bool TryFirstPage(ulong pudEntry, ulong slotVa, out ulong va, out ulong pa)
    {
        va = pa = 0;
        if (PageTableEntry.IsLarge(pudEntry))
        {
            va = slotVa;
            pa = pudEntry & _walker.FrameMask & ~(OneGiB - 1);
            return true;
        }

        var pmd = new ulong[512];
        if (!ReadTable(pudEntry, pmd))
        {
            return false;
        }

        for (int m = 0; m < 512; m++)
        {
            if (!PageTableEntry.IsPresent(pmd[m]))
            {
                continue;
            }

            ulong pmdVa = slotVa + ((ulong)m << 21);
            if (PageTableEntry.IsLarge(pmd[m]))
            {
                va = pmdVa;
                pa = pmd[m] & _walker.FrameMask & ~(TwoMiB - 1);
                return true;
            }

            var pte = new ulong[512];
            if (!ReadTable(pmd[m], pte))
            {
                continue;
            }

            for (int n = 0; n < 512; n++)
            {
                if (PageTableEntry.IsPresent(pte[n]))
                {
                    va = pmdVa + ((ulong)n << 12);
                    pa = pte[n] & _walker.FrameMask;
                    return true;
                }
            }
        }

        return false;
    }
}

/// <summary>A present 1 GiB slot of kernel space and the first page mapped in it.</summary>
/// <param name="Slot">The slot's (1 GiB-aligned) virtual address.</param>
/// <param name="FirstVirtual">The first mapped virtual address in the slot.</param>
/// <param name="FirstPhysical">The physical address it maps to.</param>
internal readonly record struct MappedSlot(ulong Slot, ulong FirstVirtual, ulong FirstPhysical);
