using Kdx.Core.Types;

namespace Kdx.Core.Linux.Mm;

/// <summary>
/// Where the SLUB allocator keeps its data (include/linux/slub_def.h, mm/slab.h), looked up once from the
/// kernel's types. A slab is a <c>struct slab</c> when the kernel has that type (Linux v5.17, commit
/// d122019bf061, "mm: Split slab into its own type"; it overlays struct page), else the slab fields of
/// <c>struct page</c>. Every feature is detected by the presence of its member, never by version.
/// </summary>
public sealed class SlubLayout
{
    private SlubLayout(StructLayout cache, StructLayout cpu, StructLayout node, StructLayout slab, bool slabType)
    {
        CacheSize = cache.Size;
        CacheCpuSlab = cache.Offset("cpu_slab");
        CacheFlags = cache.Offset("flags");
        CacheSizeField = cache.Offset("size");
        CacheObjectSize = cache.Offset("object_size");
        CacheOffset = cache.Offset("offset");
        CacheOo = cache.Offset("oo");
        CacheName = cache.Offset("name");
        CacheList = cache.Offset("list");
        CacheNode = cache.Offset("node");
        CacheNodeCount = (int)Math.Clamp(cache.SizeOf("node") / 8, 1, 1024);

        // CONFIG_SLAB_FREELIST_HARDENED adds kmem_cache.random (Linux v4.14, commit 2482ddec670f).
        CacheRandom = cache.TryOffset("random");
        CacheRedLeftPad = cache.TryOffset("red_left_pad");

        CpuFreelist = cpu.Offset("freelist");

        // kmem_cache_cpu.page became .slab with struct slab (Linux v5.17, commit bb192ed9aa71).
        CpuSlab = cpu.TryOffset("slab") ?? cpu.Offset("page");
        CpuPartial = cpu.TryOffset("partial");

        NodeNrPartial = node.Offset("nr_partial");
        NodePartial = node.Offset("partial");
        NodeNrSlabs = node.TryOffset("nr_slabs");
        NodeTotalObjects = node.TryOffset("total_objects");
        NodeFull = node.TryOffset("full");

        IsSlabType = slabType;
        SlabStruct = slab;
        SlabSize = slab.Size;
        SlabCache = slab.Offset("slab_cache");
        SlabFreelist = slab.Offset("freelist");
        SlabList = slab.TryOffset("slab_list") ?? slab.Offset("lru");
        SlabNext = slab.TryOffset("next");
    }

    /// <summary>Whether slabs are <c>struct slab</c> (v5.17 and later) rather than struct page.</summary>
    public bool IsSlabType { get; }

    /// <summary>sizeof(struct kmem_cache).</summary>
    public int CacheSize { get; }

    /// <summary>kmem_cache.cpu_slab (a per-CPU pointer to struct kmem_cache_cpu).</summary>
    public int CacheCpuSlab { get; }

    /// <summary>kmem_cache.flags (SLAB_* flags).</summary>
    public int CacheFlags { get; }

    /// <summary>kmem_cache.size: the object's size with its metadata (the stride in a slab).</summary>
    public int CacheSizeField { get; }

    /// <summary>kmem_cache.object_size.</summary>
    public int CacheObjectSize { get; }

    /// <summary>kmem_cache.offset: where in a free object its free pointer is.</summary>
    public int CacheOffset { get; }

    /// <summary>kmem_cache.oo: order in the high 16 bits, objects per slab in the low 16.</summary>
    public int CacheOo { get; }

    /// <summary>kmem_cache.name.</summary>
    public int CacheName { get; }

    /// <summary>kmem_cache.list (on slab_caches).</summary>
    public int CacheList { get; }

    /// <summary>kmem_cache.node[] (pointers to struct kmem_cache_node).</summary>
    public int CacheNode { get; }

    /// <summary>The length of kmem_cache.node[] (MAX_NUMNODES).</summary>
    public int CacheNodeCount { get; }

    /// <summary>kmem_cache.random (CONFIG_SLAB_FREELIST_HARDENED), or null.</summary>
    public int? CacheRandom { get; }

    /// <summary>kmem_cache.red_left_pad, or null.</summary>
    public int? CacheRedLeftPad { get; }

    /// <summary>kmem_cache_cpu.freelist: the CPU's lockless freelist.</summary>
    public int CpuFreelist { get; }

    /// <summary>kmem_cache_cpu.slab (.page before v5.17).</summary>
    public int CpuSlab { get; }

    /// <summary>kmem_cache_cpu.partial (CONFIG_SLUB_CPU_PARTIAL), or null.</summary>
    public int? CpuPartial { get; }

    /// <summary>kmem_cache_node.nr_partial.</summary>
    public int NodeNrPartial { get; }

    /// <summary>kmem_cache_node.partial (list of slabs).</summary>
    public int NodePartial { get; }

    /// <summary>kmem_cache_node.nr_slabs (CONFIG_SLUB_DEBUG), or null.</summary>
    public int? NodeNrSlabs { get; }

    /// <summary>kmem_cache_node.total_objects (CONFIG_SLUB_DEBUG), or null.</summary>
    public int? NodeTotalObjects { get; }

    /// <summary>kmem_cache_node.full (CONFIG_SLUB_DEBUG, kept only with SLAB_STORE_USER), or null.</summary>
    public int? NodeFull { get; }

    /// <summary>The slab struct (struct slab or struct page).</summary>
    public StructLayout SlabStruct { get; }

    /// <summary>Its size.</summary>
    public int SlabSize { get; }

    /// <summary>slab.slab_cache.</summary>
    public int SlabCache { get; }

    /// <summary>slab.freelist.</summary>
    public int SlabFreelist { get; }

    /// <summary>slab.slab_list (page.lru before v5.17): the node partial/full list link.</summary>
    public int SlabList { get; }

    /// <summary>slab.next: the per-CPU partial chain (CONFIG_SLUB_CPU_PARTIAL), or null.</summary>
    public int? SlabNext { get; }

    /// <summary>The layout of this kernel's SLUB structures, or null when its types lack them (SLAB or SLOB kernels).</summary>
    public static SlubLayout? TryFind(TypeCollection types)
    {
        ArgumentNullException.ThrowIfNull(types);
        var cache = StructLayout.TryFind(types, "kmem_cache");
        var cpu = StructLayout.TryFind(types, "kmem_cache_cpu");
        var node = StructLayout.TryFind(types, "kmem_cache_node");
        var slab = StructLayout.TryFind(types, "slab");
        bool slabType = slab is not null && slab.Has("slab_cache") && slab.Has("freelist");
        if (!slabType)
        {
            slab = StructLayout.TryFind(types, "page");
        }

        if (cache is null || cpu is null || node is null || slab is null || !cache.Has("cpu_slab") || !node.Has("nr_partial")
            || !slab.Has("slab_cache") || !slab.Has("inuse"))
        {
            return null;
        }

        return new SlubLayout(cache, cpu, node, slab, slabType);
    }
}
