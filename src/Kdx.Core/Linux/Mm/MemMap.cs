using System.Buffers.Binary;
using System.Numerics;
using Kdx.Core.Dumps;
using Kdx.Core.Memory;

namespace Kdx.Core.Linux.Mm;

/// <summary>
/// Where the <c>struct page</c> of each page frame is: the SPARSEMEM mem_map of every present memory
/// section, found through VMCOREINFO's SYMBOL(mem_section) (include/linux/mmzone.h: struct mem_section,
/// section_mem_map holding mem_map - section_start_pfn with flag bits below), or, without it, the
/// virtual memmap at SYMBOL(vmemmap).
/// </summary>
public sealed class MemMap
{
    // include/linux/mmzone.h: "at least 6 bits are available on all architectures" below the coded mem_map.
    private const ulong SectionFlagBits = 0x3f;
    private const ulong SectionMarkedPresent = 1 << 0;
    private const ulong SectionHasMemMap = 1 << 1;
    private const int MaxSections = 1 << 22;

    private readonly ulong[] _sectionBase; // per section: the address of pfn 0's struct page in its coding, or 0

    private MemMap(ulong[] sectionBase, int pfnSectionShift, int structPageSize, string source)
    {
        _sectionBase = sectionBase;
        PfnSectionShift = pfnSectionShift;
        StructPageSize = structPageSize;
        Source = source;
    }

    /// <summary>log2 of the page frames per memory section (SECTION_SIZE_BITS - PAGE_SHIFT).</summary>
    public int PfnSectionShift { get; }

    /// <summary>SIZE(page).</summary>
    public int StructPageSize { get; }

    /// <summary>Where the map came from: "mem_section" or "vmemmap".</summary>
    public string Source { get; }

    /// <summary>The number of sections with a mem_map.</summary>
    public int PresentSections => _sectionBase.Count(b => b != 0);

    /// <summary>
    /// Reads the section table for page frames below <paramref name="endPfn"/> from kernel virtual memory.
    /// Throws <see cref="KdxException"/> naming what VMCOREINFO lacks or what could not be read.
    /// </summary>
    public static MemMap Read(IMemoryReader kernel, VmcoreInfo info, int pageSize, ulong endPfn)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(info);
        int structPage = (int)(info.Size("page") ?? 0);
        if (structPage is <= 0 or > 512)
        {
            throw new KdxException("VMCOREINFO has no usable SIZE(page): cannot find the kernel's struct page array");
        }

        int pageShift = BitOperations.TrailingZeroCount(pageSize);
        long? sectionBits = info.Number("SECTION_SIZE_BITS");
        if (sectionBits is not { } ssb || ssb <= pageShift || ssb > 40)
        {
            return FromVmemmap(info, structPage, pageShift, endPfn)
                ?? throw new KdxException("VMCOREINFO has neither NUMBER(SECTION_SIZE_BITS) nor SYMBOL(vmemmap): cannot find the kernel's struct page array");
        }

        int pfnShift = (int)ssb - pageShift;
        ulong sections = SectionsFor(endPfn, pfnShift);
        if (sections > MaxSections)
        {
            throw new KdxException($"the dump spans {sections} memory sections, more than the limit of {MaxSections}");
        }

        if (info.Symbol("mem_section") is { } memSection && info.Size("mem_section") is { } size and >= 8 and <= 256
            && info.Offset("mem_section.section_mem_map") is { } off and >= 0 && off + 8 <= size)
        {
            var reader = new SectionReader(kernel, info, pageSize, (int)ssb, (int)size, (int)off, structPage);
            var bases = reader.Decode(memSection, (int)sections);
            if (bases is null && reader.Extreme)
            {
                // A symbol table's mem_section is the pointer to the root array (SPARSEMEM_EXTREME v2, Linux v4.15).
                bases = kernel.TryReadUInt64(memSection, out ulong roots) ? reader.Decode(roots, (int)sections) : null;
            }

            if (bases is not null)
            {
                return new MemMap(bases, pfnShift, structPage, "mem_section");
            }
        }

        return FromVmemmap(info, structPage, pageShift, endPfn)
            ?? throw new KdxException("cannot read the kernel's mem_section table (SYMBOL(mem_section) in VMCOREINFO) and there is no SYMBOL(vmemmap)");
    }

    /// <summary>A map of one virtual memmap for all page frames (for tests and kernels without mem_section).</summary>
    public static MemMap FromVmemmap(ulong vmemmap, int structPageSize, int pfnSectionShift, ulong endPfn)
    {
        ulong sections = Math.Max(1, SectionsFor(endPfn, pfnSectionShift));
        var bases = new ulong[Math.Min(sections, MaxSections)];
        Array.Fill(bases, vmemmap);
        return new MemMap(bases, pfnSectionShift, structPageSize, "vmemmap");
    }

    /// <summary>The address of <paramref name="pfn"/>'s struct page; false when its section has no mem_map.</summary>
    public bool TryGetStructPage(ulong pfn, out ulong address)
    {
        ulong section = pfn >> PfnSectionShift;
        if (section >= (ulong)_sectionBase.Length || _sectionBase[section] == 0)
        {
            address = 0;
            return false;
        }

        address = unchecked(_sectionBase[section] + (pfn * (ulong)StructPageSize));
        return true;
    }

    /// <summary>How many page frames from <paramref name="pfn"/> on have consecutive struct pages (to the section end).</summary>
    public ulong ContiguousFrom(ulong pfn) => (((pfn >> PfnSectionShift) + 1) << PfnSectionShift) - pfn;

    private static ulong SectionsFor(ulong endPfn, int pfnShift) =>
        (endPfn >> pfnShift) + ((endPfn & ((1UL << pfnShift) - 1)) != 0 ? 1UL : 0);

    private static MemMap? FromVmemmap(VmcoreInfo info, int structPage, int pageShift, ulong endPfn) =>
        info.Symbol("vmemmap") is { } v and not 0 ? FromVmemmap(v, structPage, Math.Max(0, 27 - pageShift), endPfn) : null;

    /// <summary>Reads struct mem_section entries: SPARSEMEM_EXTREME (a root array of pointers to pages of sections) or a flat array.</summary>
    private sealed class SectionReader(IMemoryReader kernel, VmcoreInfo info, int pageSize, int sectionBits, int size, int offset, int structPage)
    {
        private readonly int _perRoot = Math.Max(1, pageSize / size);
        private readonly int _pfnShift = sectionBits - BitOperations.TrailingZeroCount(pageSize);

        // makedumpfile is_sparsemem_extreme(): LENGTH(mem_section) is NR_SECTION_ROOTS when roots are used.
        public bool Extreme { get; } = IsExtreme(info, sectionBits, Math.Max(1, pageSize / size));

        // The coded base of every section, or null when no section decodes to a kernel address.
        public ulong[]? Decode(ulong table, int sections)
        {
            var bases = new ulong[sections];
            bool any = false;
            bool extreme = Extreme;
            Span<byte> word = stackalloc byte[8];
            for (int nr = 0; nr < sections; nr++)
            {
                ulong entry;
                if (extreme)
                {
                    if (!kernel.TryReadUInt64(table + ((ulong)(nr / _perRoot) * 8), out ulong root) || root == 0)
                    {
                        continue;
                    }

                    entry = root + ((ulong)(nr % _perRoot) * (ulong)size);
                }
                else
                {
                    entry = table + ((ulong)nr * (ulong)size);
                }

                if (kernel.Read(entry + (ulong)offset, word, out _) != ReadStatus.Ok)
                {
                    continue;
                }

                ulong map = BinaryPrimitives.ReadUInt64LittleEndian(word);
                const ulong needed = SectionMarkedPresent | SectionHasMemMap;
                ulong coded = map & ~SectionFlagBits;
                if ((map & needed) != needed || coded == 0)
                {
                    continue;
                }

                // A kernel address: the top bit set on x86_64 (and every 64-bit Linux port's kernel half).
                ulong memMap = unchecked(coded + (((ulong)nr << _pfnShift) * (ulong)structPage));
                if (memMap >> 63 == 0)
                {
                    return null;
                }

                bases[nr] = coded;
                any = true;
            }

            return any ? bases : null;
        }

        private static bool IsExtreme(VmcoreInfo info, int sectionBits, int perRoot)
        {
            long physBits = info.Number("MAX_PHYSMEM_BITS") ?? 46;
            long nrSections = physBits > sectionBits && physBits < 64 ? 1L << (int)(physBits - sectionBits) : 0;
            return info.Length("mem_section") is not { } length || length == (nrSections + perRoot - 1) / perRoot;
        }
    }
}
