namespace Kdx.Core.Linux.Mm;

/// <summary>One SLUB cache (struct kmem_cache), as read from the dump.</summary>
/// <param name="Address">The kmem_cache's address.</param>
/// <param name="Name">kmem_cache.name ("(unknown)" when unreadable).</param>
/// <param name="ObjectSize">kmem_cache.object_size: what the caller asked for.</param>
/// <param name="Size">kmem_cache.size: the object's stride in a slab, metadata included.</param>
/// <param name="FreePointerOffset">kmem_cache.offset: where a free object keeps its free pointer.</param>
/// <param name="ObjectsPerSlab">The objects of a slab of the preferred order (kmem_cache.oo, low 16 bits).</param>
/// <param name="Order">The preferred slab order (kmem_cache.oo, high bits).</param>
/// <param name="Flags">kmem_cache.flags (SLAB_*).</param>
/// <param name="Hardened">Whether free pointers are obfuscated (CONFIG_SLAB_FREELIST_HARDENED).</param>
/// <param name="Random">kmem_cache.random, the obfuscation key.</param>
/// <param name="RedLeftPad">kmem_cache.red_left_pad: free pointers point this far into an object.</param>
/// <param name="CpuSlab">kmem_cache.cpu_slab: the per-CPU offset of its struct kmem_cache_cpu.</param>
/// <param name="Nodes">kmem_cache.node[]: each node's struct kmem_cache_node (0 for none).</param>
public sealed record SlabCache(
    ulong Address, string Name, uint ObjectSize, uint Size, uint FreePointerOffset, int ObjectsPerSlab, int Order,
    ulong Flags, bool Hardened, ulong Random, uint RedLeftPad, ulong CpuSlab, IReadOnlyList<ulong> Nodes)
{
    /// <summary>include/linux/slab.h: SLAB_STORE_USER, which makes SLUB keep its full slabs on kmem_cache_node.full.</summary>
    public const ulong SlabStoreUser = 0x0001_0000;

    /// <summary>The bytes of a slab of the preferred order.</summary>
    public long SlabBytes(int pageSize) => (long)pageSize << Order;
}

/// <summary>One slab (struct slab, or the slab fields of struct page before v5.17).</summary>
/// <param name="Address">The struct slab / head struct page.</param>
/// <param name="Pfn">Its first page frame.</param>
/// <param name="Memory">The direct-map address of its first object.</param>
/// <param name="Node">The NUMA node of its memory.</param>
/// <param name="Objects">slab.objects.</param>
/// <param name="InUse">slab.inuse: objects not on slab.freelist (a CPU slab's lockless free list counts as in use).</param>
/// <param name="Frozen">slab.frozen: owned by a CPU.</param>
/// <param name="Freelist">slab.freelist (already a plain pointer: the kernel never obfuscates it).</param>
/// <param name="Cache">slab.slab_cache.</param>
/// <param name="Next">slab.next: the next slab of a per-CPU partial chain.</param>
public sealed record Slab(ulong Address, ulong Pfn, ulong Memory, int Node, int Objects, int InUse, bool Frozen, ulong Freelist, ulong Cache, ulong Next);

/// <summary>A CPU's struct kmem_cache_cpu of one cache.</summary>
/// <param name="Cpu">The CPU.</param>
/// <param name="Address">The kmem_cache_cpu's address.</param>
/// <param name="Slab">kmem_cache_cpu.slab: the slab the CPU allocates from (0: none).</param>
/// <param name="Freelist">kmem_cache_cpu.freelist: its lockless free list.</param>
/// <param name="Partial">kmem_cache_cpu.partial: the first of its partial slabs (0: none).</param>
public sealed record KmemCacheCpu(int Cpu, ulong Address, ulong Slab, ulong Freelist, ulong Partial);

/// <summary>A node's struct kmem_cache_node of one cache.</summary>
/// <param name="Node">The node.</param>
/// <param name="Address">The kmem_cache_node's address.</param>
/// <param name="NrPartial">nr_partial.</param>
/// <param name="NrSlabs">nr_slabs (CONFIG_SLUB_DEBUG), or null.</param>
/// <param name="TotalObjects">total_objects (CONFIG_SLUB_DEBUG), or null.</param>
public sealed record KmemCacheNode(int Node, ulong Address, long NrPartial, long? NrSlabs, long? TotalObjects);

/// <summary>A cache's counts as <c>kmem -s</c> shows them (and /proc/slabinfo's active and total objects).</summary>
/// <param name="Allocated">Objects in use.</param>
/// <param name="Total">Objects in all its slabs.</param>
/// <param name="Slabs">Its slabs.</param>
/// <param name="Problems">What could not be read or was corrupt (the counts then leave it out).</param>
public sealed record SlabCacheStatistics(long Allocated, long Total, long Slabs, IReadOnlyList<string> Problems);

/// <summary>Every object of one slab, free or allocated.</summary>
/// <param name="Slab">The slab.</param>
/// <param name="Free">One entry per object: whether it is on a free list.</param>
/// <param name="CpuOf">The CPU whose current slab this is, or -1.</param>
/// <param name="Problems">Corruption met on its free lists.</param>
public sealed record SlabContents(Slab Slab, IReadOnlyList<bool> Free, int CpuOf, IReadOnlyList<string> Problems)
{
    /// <summary>Free objects (crash's count: for a CPU slab, its lockless list plus slab.freelist's).</summary>
    public int FreeCount { get; init; }

    /// <summary>Objects in use.</summary>
    public int InUse => Slab.Objects - FreeCount;
}

/// <summary>Where an address lies in the slab allocator.</summary>
/// <param name="Cache">Its cache.</param>
/// <param name="Slab">Its slab.</param>
/// <param name="Object">The object's start, or 0 when the address is past the last object (slab padding).</param>
/// <param name="IsFree">Whether the object is on a free list.</param>
/// <param name="CpuOf">The CPU whose current slab holds it, or -1.</param>
public sealed record SlabObject(SlabCache Cache, Slab Slab, ulong Object, bool IsFree, int CpuOf);
