using System.Globalization;
using Kdx.Core.Memory;

namespace Kdx.Core.Arch.X86_64;

/// <summary>The KASLR regions (direct map, vmalloc, vmemmap) and the per-CPU offsets.</summary>
public static partial class X86_64LayoutDetector
{
    private sealed partial class Detection
    {
        private X86_64KernelLayout DetectRegions(X86_64KernelLayout layout)
        {
            var memory = new KernelVirtualMemory(_dump, layout);
            ulong? pageOffset = ReadBase(memory, layout, "page_offset_base");
            ulong? vmalloc = ReadBase(memory, layout, "vmalloc_base");
            ulong? vmemmap = ReadBase(memory, layout, "vmemmap_base");
            if (pageOffset is not null && vmalloc is not null && vmemmap is not null)
            {
                return Apply(layout, pageOffset, vmalloc, vmemmap, LayoutSource.KernelVariable);
            }

            layout = Apply(layout, pageOffset, vmalloc, vmemmap, LayoutSource.KernelVariable);
            ulong physicalEnd = _dump.PhysicalRanges.Count == 0 ? 0 : _dump.PhysicalRanges.Max(r => r.End);
            ulong start = X86_64KernelLayout.Defaults(layout.PagingLevels).PageOffsetBase;
            List<MappedSlot> slots;
            LayoutSource source;
            if (layout.KernelPageTable is { } root)
            {
                slots = new KernelPageTableScan(memory.Walker, root).FindSlots(start, X86_64KernelLayout.CpuEntryAreaBase);
                source = LayoutSource.PageTableScan;
            }
            else
            {
                slots = SlotsFromSegments(start);
                source = LayoutSource.DumpSegments;
            }

            KernelPageTableScan.InferRegions(slots, physicalEnd, out var scanPageOffset, out var scanVmalloc, out var scanVmemmap);
            layout = Apply(layout, pageOffset is null ? scanPageOffset : null, vmalloc is null ? scanVmalloc : null,
                vmemmap is null ? scanVmemmap : null, source);

            // A guess too low is safe (the rest of the direct map is then walked); too high would translate
            // vmalloc addresses as if they were direct-mapped.
            if (!_sources.ContainsKey(LayoutItem.VmallocBase) && layout.VmallocBase <= layout.PageOffsetBase)
            {
                ulong end = layout.PageOffsetBase + ((physicalEnd + OneGiB - 1) & ~(OneGiB - 1));
                _notes.Add(string.Create(CultureInfo.InvariantCulture, $"vmalloc_base not found; the direct map is taken to end at {end:x}"));
                layout = layout with { VmallocBase = end };
            }

            foreach (var item in (LayoutItem[])[LayoutItem.PageOffsetBase, LayoutItem.VmallocBase, LayoutItem.VmemmapBase])
            {
                if (!_sources.ContainsKey(item))
                {
                    _notes.Add($"{item} not found: using the default for a kernel without KASLR");
                }
            }

            return layout;
        }

        private X86_64KernelLayout Apply(X86_64KernelLayout layout, ulong? pageOffset, ulong? vmalloc, ulong? vmemmap, LayoutSource source)
        {
            if (pageOffset is { } p)
            {
                layout = layout with { PageOffsetBase = p };
                _sources[LayoutItem.PageOffsetBase] = source;
            }

            if (vmalloc is { } v)
            {
                layout = layout with { VmallocBase = v };
                _sources[LayoutItem.VmallocBase] = source;
            }

            if (vmemmap is { } m)
            {
                layout = layout with { VmemmapBase = m };
                _sources[LayoutItem.VmemmapBase] = source;
            }

            return layout;
        }

        /// <summary>Reads page_offset_base, vmalloc_base or vmemmap_base; a value outside the KASLR area is ignored.</summary>
        private ulong? ReadBase(KernelVirtualMemory memory, X86_64KernelLayout layout, string name)
        {
            if (Symbol(name, out _) is not { } va)
            {
                return null;
            }

            if (!memory.TryReadUInt64(va, out ulong value))
            {
                _notes.Add(string.Create(CultureInfo.InvariantCulture, $"cannot read {name} at {va:x}"));
                return null;
            }

            if (value < layout.KernelSpaceStart || value >= X86_64KernelLayout.CpuEntryAreaBase || (value & (OneGiB - 1)) != 0)
            {
                _notes.Add(string.Create(CultureInfo.InvariantCulture, $"{name} = {value:x} is not a 1 GiB-aligned kernel address below cpu_entry_area; ignored"));
                return null;
            }

            return value;
        }

        /// <summary>The dump's own virtual mappings (QEMU paging=true, /proc/vmcore's direct-map PT_LOADs) as slots.</summary>
        private List<MappedSlot> SlotsFromSegments(ulong start)
        {
            var slots = new SortedDictionary<ulong, MappedSlot>();
            foreach (var m in _dump.VirtualMappings)
            {
                if (m.Size == 0 || m.VirtualStart < start || m.VirtualStart >= X86_64KernelLayout.CpuEntryAreaBase)
                {
                    continue;
                }

                ulong end = Math.Min(m.VirtualStart + (m.Size - 1), X86_64KernelLayout.CpuEntryAreaBase - 1);
                for (ulong slot = m.VirtualStart & ~(OneGiB - 1); slot <= end && slots.Count < 1 << 16; slot += OneGiB)
                {
                    ulong va = Math.Max(slot, m.VirtualStart);
                    if (!slots.TryGetValue(slot, out var known) || va < known.FirstVirtual)
                    {
                        slots[slot] = new MappedSlot(slot, va, m.PhysicalStart + (va - m.VirtualStart));
                    }

                    if (slot + OneGiB < slot)
                    {
                        break;
                    }
                }
            }

            return [.. slots.Values];
        }

        /// <summary>__per_cpu_offset[0 .. nr_cpu_ids).</summary>
        private X86_64KernelLayout DetectPerCpuOffsets(X86_64KernelLayout layout)
        {
            if (Symbol("__per_cpu_offset", out _) is not { } array)
            {
                return layout;
            }

            var memory = new KernelVirtualMemory(_dump, layout);
            int count = _dump.Cpus.Count;
            if (Symbol("nr_cpu_ids", out _) is { } nrCpuIds)
            {
                Span<byte> b = stackalloc byte[4];
                if (memory.Read(nrCpuIds, b, out _) == ReadStatus.Ok)
                {
                    count = (int)Math.Min(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b), int.MaxValue);
                }
            }

            if (count <= 0 || count > _dump.Options.Limits.MaxCpus)
            {
                _notes.Add(string.Create(CultureInfo.InvariantCulture, $"nr_cpu_ids = {count} is out of range; per-CPU offsets not read"));
                return layout;
            }

            var offsets = new ulong[count];
            for (int cpu = 0; cpu < count; cpu++)
            {
                if (!memory.TryReadUInt64(array + ((ulong)cpu * 8), out offsets[cpu]))
                {
                    _notes.Add(string.Create(CultureInfo.InvariantCulture, $"cannot read __per_cpu_offset[{cpu}]"));
                    return layout;
                }
            }

            _sources[LayoutItem.PerCpuOffsets] = LayoutSource.KernelVariable;
            return layout with { PerCpuOffsets = offsets };
        }
    }
}
