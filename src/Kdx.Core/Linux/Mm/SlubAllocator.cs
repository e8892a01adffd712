using System.Buffers.Binary;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Mm;

/// <summary>
/// The SLUB allocator of a crashed kernel: its caches (the slab_caches list), each CPU's and node's slabs, and
/// which objects are free. Lazy: the cache list is read on first use, a cache's slabs only when asked, so a
/// question about one address reads one struct page, one struct slab and that slab's free lists.
/// Corrupt data (a free list leaving its slab or looping, a broken partial list) is reported in the results'
/// problems and the walk goes on with the rest.
/// </summary>
public sealed class SlubAllocator
{
    private const int MaxCaches = 1 << 16;
    private const int MaxChain = 1 << 20;

    private readonly IProgram _program;
    private readonly IMemoryReader _memory;
    private readonly StructPageLayout _pages;
    private readonly List<string> _problems = [];
    private IReadOnlyList<SlabCache>? _caches;
    private Dictionary<ulong, SlabCache>? _byAddress;
    private (ulong Start, ulong End)[]? _nodeSpans;

    /// <summary>Creates the model over a program whose types have the SLUB structures.</summary>
    public SlubAllocator(IProgram program, SlubLayout layout, StructPageLayout pages, PageGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(program);

        // A kmem_cache is allocated with nr_node_ids entries of node[] only (mm/slub.c kmem_cache_init()).
        NodeCount = program.Symbols.TryGetAddress("nr_node_ids", out ulong nr) && program.Memory.Read(nr, stackalloc byte[4], out _) == ReadStatus.Ok
            ? (int)Math.Clamp(program.Memory.ReadUInt32(nr, "nr_node_ids"), 1, 1024) : 1;
        _program = program;
        _memory = program.Memory;
        Layout = layout ?? throw new ArgumentNullException(nameof(layout));
        _pages = pages ?? throw new ArgumentNullException(nameof(pages));
        Geometry = geometry ?? throw new ArgumentNullException(nameof(geometry));
    }

    /// <summary>nr_node_ids: the entries of kmem_cache.node[] that exist.</summary>
    public int NodeCount { get; }

    /// <summary>The SLUB structure layout.</summary>
    public SlubLayout Layout { get; }

    /// <summary>Where struct pages and the direct map are.</summary>
    public PageGeometry Geometry { get; }

    /// <summary>Problems met while listing the caches.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>Every cache on slab_caches, in list order (the newest first, as the kernel adds them at the head).</summary>
    public IReadOnlyList<SlabCache> Caches => _caches ??= ReadCacheList();

    /// <summary>The model of a kernel program's allocator; throws <see cref="KdxException"/> when the kernel has no SLUB types.</summary>
    public static SlubAllocator Open(KernelProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var layout = SlubLayout.TryFind(program.Types)
            ?? throw new KdxException("no SLUB type information (struct kmem_cache, kmem_cache_cpu, kmem_cache_node, slab): a SLUB kernel's vmlinux or BTF is needed");
        var info = program.VmcoreInfo ?? throw new KdxException("the dump has no VMCOREINFO: struct page flags are unknown");
        var pages = StructPageLayout.FromVmcoreInfo(info);
        ulong endPfn = program.AddressOf("max_pfn") is { } mp && program.Kernel.TryReadUInt64(mp, out ulong m) && m > 0
            ? m : 1UL << (program.Layout.MaxPhysmemBits - 12);
        var geometry = new PageGeometry(program.Layout.PageOffsetBase, program.Layout.VmemmapBase, program.PageSize, pages.Size, endPfn);
        return new SlubAllocator(program, layout, pages, geometry);
    }

    /// <summary>The cache with this name (the first on the list), or null.</summary>
    public SlabCache? FindCache(string name) => Caches.FirstOrDefault(c => c.Name == name);

    /// <summary>The listed cache whose kmem_cache is at <paramref name="address"/>, or null.</summary>
    public SlabCache? CacheAt(ulong address)
    {
        _byAddress ??= Caches.GroupBy(c => c.Address).ToDictionary(g => g.Key, g => g.First());
        return _byAddress.GetValueOrDefault(address);
    }

    /// <summary>Reads the kmem_cache at <paramref name="address"/>; throws <see cref="MemoryFaultException"/> when unreadable.</summary>
    public SlabCache ReadCache(ulong address)
    {
        var l = Layout;
        int nodes = Math.Min(NodeCount, l.CacheNodeCount);
        var b = new byte[Math.Min(l.CacheSize, l.CacheNode + (nodes * 8))];
        _memory.ReadExactly(address, b, "kmem_cache");
        ulong namePtr = U64(b, l.CacheName);
        string name;
        try
        {
            name = namePtr == 0 ? "(unknown)" : _memory.ReadCString(namePtr, 256, "kmem_cache.name");
        }
        catch (MemoryFaultException)
        {
            name = "(unknown)";
        }

        // include/linux/slub_def.h: struct kmem_cache_order_objects { unsigned int x; }, OO_SHIFT 16.
        uint oo = U32(b, l.CacheOo);
        var nodePointers = new ulong[nodes];
        for (int i = 0; i < nodes; i++)
        {
            nodePointers[i] = U64(b, l.CacheNode + (i * 8));
        }

        return new SlabCache(
            address, name, U32(b, l.CacheObjectSize), U32(b, l.CacheSizeField), U32(b, l.CacheOffset), (int)(oo & 0xffff), (int)(oo >> 16),
            U64(b, l.CacheFlags) & 0xffff_ffff, l.CacheRandom is not null, l.CacheRandom is { } r ? U64(b, r) : 0,
            l.CacheRedLeftPad is { } p ? U32(b, p) : 0, U64(b, l.CacheCpuSlab), nodePointers);
    }

    /// <summary>Each CPU's kmem_cache_cpu of <paramref name="cache"/> (unreadable ones are left out).</summary>
    public IReadOnlyList<KmemCacheCpu> CpuSlabs(SlabCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var l = Layout;
        var result = new List<KmemCacheCpu>(_program.CpuCount);
        for (int cpu = 0; cpu < _program.CpuCount; cpu++)
        {
            ulong c = _program.PerCpuAddress(cache.CpuSlab, cpu);
            ulong freelist = 0, slab = 0, partial = 0;
            if (_memory.TryReadUInt64(c + (ulong)l.CpuSlab, out slab) && _memory.TryReadUInt64(c + (ulong)l.CpuFreelist, out freelist)
                && (l.CpuPartial is not { } p || _memory.TryReadUInt64(c + (ulong)p, out partial)))
            {
                result.Add(new KmemCacheCpu(cpu, c, slab, freelist, partial));
            }
            else
            {
                result.Add(new KmemCacheCpu(cpu, c, 0, 0, 0));
            }
        }

        return result;
    }

    /// <summary>Each node's kmem_cache_node of <paramref name="cache"/> that exists and can be read.</summary>
    public IReadOnlyList<KmemCacheNode> Nodes(SlabCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var l = Layout;
        var result = new List<KmemCacheNode>();
        for (int n = 0; n < cache.Nodes.Count; n++)
        {
            ulong a = cache.Nodes[n];
            if (a == 0 || !_memory.TryReadUInt64(a + (ulong)l.NodeNrPartial, out ulong partial))
            {
                continue;
            }

            long? slabs = l.NodeNrSlabs is { } s && _memory.TryReadUInt64(a + (ulong)s, out ulong v) ? (long)v : null;
            long? total = l.NodeTotalObjects is { } t && _memory.TryReadUInt64(a + (ulong)t, out ulong w) ? (long)w : null;
            result.Add(new KmemCacheNode(n, a, (long)partial, slabs, total));
        }

        return result;
    }

    /// <summary>Reads the slab at <paramref name="address"/> (a struct slab / head struct page); null when it is not one.</summary>
    public Slab? TryReadSlab(ulong address)
    {
        if (!Geometry.TryPfnOfPage(address, out ulong pfn))
        {
            return null;
        }

        var l = Layout;
        Span<byte> b = stackalloc byte[l.SlabSize];
        if (_memory.Read(address, b, out _) != ReadStatus.Ok)
        {
            return null;
        }

        var s = l.SlabStruct;
        int objects = (int)s.Read(b, "objects");
        int inuse = (int)s.Read(b, "inuse");
        bool frozen = s.Has("frozen") && s.Read(b, "frozen") != 0;
        return new Slab(
            address, pfn, Geometry.DirectAddress(pfn), NodeOf(pfn), objects, inuse, frozen, U64(b, l.SlabFreelist), U64(b, l.SlabCache),
            l.SlabNext is { } n ? U64(b, n) : 0);
    }

    /// <summary>
    /// The head struct page of the slab holding <paramref name="address"/> (a direct-map address, or a struct page
    /// of one of the slab's frames), or null when its page is not a slab page.
    /// </summary>
    public ulong? SlabPageOf(ulong address, bool isStructPage = false)
    {
        ulong pfn;
        if (isStructPage ? !Geometry.TryPfnOfPage(address, out pfn) : !Geometry.TryPfnOfDirect(address, out pfn))
        {
            return null;
        }

        ulong page = Geometry.PageOf(pfn);
        if (!TryReadPage(page, out var sp))
        {
            return null;
        }

        if (sp.IsTail)
        {
            page = sp.CompoundHead - 1;
            if (!Geometry.TryPfnOfPage(page, out _) || !TryReadPage(page, out sp))
            {
                return null;
            }
        }

        return _pages.IsSlab(sp) ? page : null;
    }

    /// <summary>
    /// What object of which cache <paramref name="address"/> (a direct-map address) is in, or null when its page
    /// is not a slab page of a listed cache.
    /// </summary>
    public SlabObject? FindObject(ulong address)
    {
        if (SlabPageOf(address) is not { } page || TryReadSlab(page) is not { } slab || CacheAt(slab.Cache) is not { } cache)
        {
            return null;
        }

        var contents = ReadContents(cache, slab);
        ulong stride = Math.Max(1u, cache.Size);
        ulong index = (address - slab.Memory) / stride;
        if (index >= (ulong)slab.Objects)
        {
            return new SlabObject(cache, slab, 0, false, contents.CpuOf);
        }

        return new SlabObject(cache, slab, slab.Memory + (index * stride) + cache.RedLeftPad, contents.Free[(int)index], contents.CpuOf);
    }

    /// <summary>
    /// Every object of a slab, free or not: the slab's own free list and, when it is a CPU's current slab, that
    /// CPU's lockless free list.
    /// </summary>
    public SlabContents ReadContents(SlabCache cache, Slab slab, IReadOnlyList<KmemCacheCpu>? cpus = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(slab);
        var problems = new List<string>();
        int objects = Math.Clamp(slab.Objects, 0, 1 << 15);
        var free = new bool[objects];
        var (_, p1) = SlabFreelist.Walk(_memory, cache, slab.Memory, slab.Freelist, free);
        Report(problems, cache, slab, p1);
        int cpuOf = -1;
        int freeCount = objects - Math.Clamp(slab.InUse, 0, objects);
        foreach (var c in cpus ?? CpuSlabs(cache))
        {
            if (c.Slab == slab.Address)
            {
                cpuOf = c.Cpu;
                var (onCpu, p2) = SlabFreelist.Walk(_memory, cache, slab.Memory, c.Freelist, free);
                Report(problems, cache, slab, p2);

                // A CPU slab's inuse counts its lockless list as used; frees from other CPUs went to slab.freelist.
                freeCount = onCpu + (slab.Freelist != 0 ? objects - Math.Clamp(slab.InUse, 0, objects) : 0);
                break;
            }
        }

        return new SlabContents(slab, free, cpuOf, problems) { FreeCount = Math.Min(freeCount, objects) };
    }

    /// <summary>The slabs of a CPU's partial chain (kmem_cache_cpu.partial, linked by slab.next).</summary>
    public IEnumerable<Slab> CpuPartial(SlabCache cache, KmemCacheCpu cpu, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(cpu);
        ArgumentNullException.ThrowIfNull(problems);
        var seen = new HashSet<ulong>();
        for (ulong s = cpu.Partial; s != 0;)
        {
            if (!seen.Add(s) || seen.Count > MaxChain)
            {
                problems.Add($"{cache.Name}: cpu {cpu.Cpu} partial list loops back to slab {s:x}");
                yield break;
            }

            if (TryReadSlab(s) is not { } slab)
            {
                problems.Add($"{cache.Name}: invalid partial list slab pointer: {s:x}");
                yield break;
            }

            yield return slab;
            s = slab.Next;
        }
    }

    /// <summary>The slabs of a node's partial list (or, with <paramref name="full"/>, its full list when kept).</summary>
    public IEnumerable<Slab> NodeList(SlabCache cache, KmemCacheNode node, bool full, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(problems);
        int? offset = full ? Layout.NodeFull : Layout.NodePartial;
        if (offset is not { } o)
        {
            yield break;
        }

        string what = full ? "full" : "partial";
        ulong head = node.Address + (ulong)o;
        if (!_memory.TryReadUInt64(head, out ulong next))
        {
            problems.Add($"{cache.Name}: cannot read the node {node.Node} {what} list at {head:x}");
            yield break;
        }

        var seen = new HashSet<ulong>();
        while (next != head)
        {
            ulong s = next - (ulong)Layout.SlabList;
            if (!seen.Add(s) || seen.Count > MaxChain)
            {
                problems.Add($"{cache.Name}: {what} list of node {node.Node} loops back to slab {s:x}");
                yield break;
            }

            if (TryReadSlab(s) is not { } slab)
            {
                problems.Add($"{cache.Name}: invalid {what} list slab pointer: {s:x}");
                yield break;
            }

            yield return slab;
            if (!_memory.TryReadUInt64(next, out next))
            {
                problems.Add($"{cache.Name}: {what} list slab: {s:x} unreadable slab_list.next");
                yield break;
            }
        }
    }

    /// <summary>
    /// A cache's counts, computed as slabinfo and crash do: objects of every node (total_objects) less the free
    /// ones of each CPU slab (its lockless list and slab.freelist), of each CPU's and node's partial slabs.
    /// </summary>
    public SlabCacheStatistics Statistics(SlabCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var problems = new List<string>();
        long free = 0, inuse = 0, slabs = 0, total = 0;
        var nodes = Nodes(cache);
        var cpuSlabsPerNode = new Dictionary<int, long>();
        var cpus = CpuSlabs(cache);
        bool exact = nodes.Count > 0 && nodes.All(n => n.TotalObjects is not null && n.NrSlabs is not null);
        foreach (var c in cpus)
        {
            if (c.Slab != 0)
            {
                if (TryReadSlab(c.Slab) is not { } slab)
                {
                    problems.Add($"{cache.Name}: cpu {c.Cpu}: invalid slab address: {c.Slab:x}");
                }
                else
                {
                    var contents = ReadContents(cache, slab, cpus);
                    problems.AddRange(contents.Problems);
                    free += contents.FreeCount;
                    inuse += contents.InUse;
                    slabs++;
                    cpuSlabsPerNode[slab.Node] = cpuSlabsPerNode.GetValueOrDefault(slab.Node) + 1;
                }
            }

            foreach (var s in CpuPartial(cache, c, problems))
            {
                free += Math.Max(0, s.Objects - s.InUse);
                if (!exact)
                {
                    inuse += s.InUse;
                    slabs++;
                }
            }
        }

        foreach (var n in nodes)
        {
            foreach (var s in NodeList(cache, n, full: false, problems))
            {
                free += Math.Max(0, s.Objects - s.InUse);
                inuse += s.InUse;
            }

            slabs += n.NrPartial;
            if (exact)
            {
                long full = n.NrSlabs!.Value - cpuSlabsPerNode.GetValueOrDefault(n.Node) - n.NrPartial;
                slabs += full;
                total += n.TotalObjects!.Value;
            }
        }

        return exact
            ? new SlabCacheStatistics(total - free, total, slabs, problems)
            : new SlabCacheStatistics(inuse, inuse + free, slabs, problems);
    }

    /// <summary>The NUMA node of a page frame (node_data[] spans; 0 on a single-node kernel).</summary>
    public int NodeOf(ulong pfn)
    {
        _nodeSpans ??= ReadNodeSpans();
        for (int n = 0; n < _nodeSpans.Length; n++)
        {
            if (pfn >= _nodeSpans[n].Start && pfn < _nodeSpans[n].End)
            {
                return n;
            }
        }

        return 0;
    }

    private static void Report(List<string> problems, SlabCache cache, Slab slab, string? problem)
    {
        if (problem is not null)
        {
            problems.Add($"{cache.Name}: slab {slab.Address:x}: {problem}");
        }
    }

    private static ulong U64(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(b[offset..]);

    private static uint U32(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(b[offset..]);

    private bool TryReadPage(ulong page, out StructPage result)
    {
        Span<byte> b = stackalloc byte[Math.Max(1, _pages.Size)];
        if (_pages.Size <= 0 || _memory.Read(page, b, out _) != ReadStatus.Ok)
        {
            result = default;
            return false;
        }

        result = _pages.Decode(b);
        return true;
    }

    private List<SlabCache> ReadCacheList()
    {
        var caches = new List<SlabCache>();
        if (!_program.Symbols.TryGetAddress("slab_caches", out ulong head))
        {
            _problems.Add("the kernel has no slab_caches symbol");
            return caches;
        }

        var seen = new HashSet<ulong>();
        ulong next = _memory.TryReadUInt64(head, out ulong first) ? first : head;
        while (next != head && caches.Count < MaxCaches)
        {
            ulong cache = next - (ulong)Layout.CacheList;
            if (!seen.Add(cache))
            {
                _problems.Add($"slab_caches loops back to kmem_cache {cache:x}");
                break;
            }

            try
            {
                caches.Add(ReadCache(cache));
            }
            catch (MemoryFaultException e)
            {
                _problems.Add($"slab_caches: cannot read kmem_cache {cache:x}: {e.Message}");
                break;
            }

            if (!_memory.TryReadUInt64(next, out next))
            {
                _problems.Add($"slab_caches: cannot read the list link at {cache + (ulong)Layout.CacheList:x}");
                break;
            }
        }

        return caches;
    }

    private (ulong Start, ulong End)[] ReadNodeSpans()
    {
        // include/linux/mmzone.h: node_data[] of struct pglist_data, with node_start_pfn and node_spanned_pages.
        var pgdat = StructLayout.TryFind(_program.Types, "pglist_data");
        if (!_program.Symbols.TryGetAddress("node_data", out ulong nodeData) || pgdat is null
            || pgdat.TryOffset("node_start_pfn") is not { } start || pgdat.TryOffset("node_spanned_pages") is not { } spanned)
        {
            return [];
        }

        int count = NodeCount;
        var spans = new List<(ulong, ulong)>();
        for (int n = 0; n < count; n++)
        {
            if (!_memory.TryReadUInt64(nodeData + ((ulong)n * 8), out ulong p) || p == 0
                || !_memory.TryReadUInt64(p + (ulong)start, out ulong s) || !_memory.TryReadUInt64(p + (ulong)spanned, out ulong len))
            {
                spans.Add((0, 0));
                continue;
            }

            spans.Add((s, s + len));
        }

        return [.. spans];
    }
}
