using Kdx.Core.Linux.Mm;
using Kdx.Core.Types;
using Kdx.Tests.Model;

namespace Kdx.Tests.Linux.Mm;

/// <summary>
/// A tiny SLUB kernel in a <see cref="TestProgram"/>: the direct map at <see cref="TestProgram.Base"/> (64 page
/// frames), struct pages at <see cref="Vmemmap"/>, one cache of 16 objects of 256 bytes per 4 KiB slab, two
/// CPUs and one node. The layouts follow Linux 6.1's struct slab, kmem_cache, kmem_cache_cpu and kmem_cache_node
/// (made-up offsets); <c>hardened</c> adds kmem_cache.random as CONFIG_SLAB_FREELIST_HARDENED does.
/// </summary>
internal sealed class SlubTestKernel
{
    public const ulong Vmemmap = TestProgram.Base + 0x8_0000;
    public const ulong Cache = TestProgram.Base + 0x5_0000;
    public const ulong CpuSlab = TestProgram.Base + 0x5_1000; // CPU n's kmem_cache_cpu: + n × 0x1000 (TestProgram's per-CPU rule)
    public const ulong Node = TestProgram.Base + 0x5_3000;
    public const ulong SlabCaches = TestProgram.Base + 0x5_4000;
    public const ulong Random = 0x5a5a_1234_9876_abcd;
    public const int Objects = 16;
    public const uint Size = 256;
    private const int PgSlab = 9;

    public SlubTestKernel(bool hardened = true)
    {
        Hardened = hardened;
        var p = Program;
        var ptr = KType.Pointer(p.ULong);
        p.AddType("struct kmem_cache", KType.Struct("kmem_cache", 96, () =>
        [
            new KMember("cpu_slab", ptr, 0), new KMember("flags", p.UInt, 8 * 8), new KMember("size", p.UInt, 16 * 8),
            new KMember("object_size", p.UInt, 20 * 8), new KMember("offset", p.UInt, 24 * 8), new KMember("oo", p.UInt, 28 * 8),
            new KMember("name", ptr, 32 * 8), new KMember("list", p.ListHead, 40 * 8),
            .. hardened ? [new KMember("random", p.ULong, 56 * 8)] : Array.Empty<KMember>(),
            new KMember("red_left_pad", p.UInt, 64 * 8), new KMember("node", KType.Array(ptr, 1), 88 * 8),
        ]));
        p.AddType("struct kmem_cache_cpu", KType.Struct("kmem_cache_cpu", 32, () =>
            [new KMember("freelist", ptr, 0), new KMember("tid", p.ULong, 64), new KMember("slab", ptr, 128), new KMember("partial", ptr, 192)]));
        p.AddType("struct kmem_cache_node", KType.Struct("kmem_cache_node", 64, () =>
        [
            new KMember("nr_partial", p.ULong, 8 * 8), new KMember("partial", p.ListHead, 16 * 8), new KMember("nr_slabs", p.ULong, 32 * 8),
            new KMember("total_objects", p.ULong, 40 * 8), new KMember("full", p.ListHead, 48 * 8),
        ]));
        p.AddType("struct slab", KType.Struct("slab", 64, () =>
        [
            new KMember("__page_flags", p.ULong, 0), new KMember("slab_list", p.ListHead, 8 * 8), new KMember("next", ptr, 8 * 8),
            new KMember("slab_cache", ptr, 24 * 8), new KMember("freelist", ptr, 32 * 8),
            new KMember("inuse", p.UInt, 40 * 8, 16), new KMember("objects", p.UInt, (40 * 8) + 16, 15), new KMember("frozen", p.UInt, (40 * 8) + 31, 1),
        ]));
        p.Symbol("slab_caches", SlabCaches);

        // The cache, alone on slab_caches; its node with no partial slab yet.
        p.Write(Cache, CpuSlab);
        p.Write(Cache + 16, Size, 4);
        p.Write(Cache + 20, 200, 4);
        p.Write(Cache + 24, 64, 4);
        p.Write(Cache + 28, Objects, 4); // oo: order 0, 16 objects
        p.Write(Cache + 32, Cache + 0x200);
        p.WriteString(Cache + 0x200, "test_cache");
        p.Write(Cache + 56, Random);
        p.Write(Cache + 88, Node);
        p.Write(SlabCaches, Cache + 40);
        p.Write(SlabCaches + 8, Cache + 40);
        p.Write(Cache + 40, SlabCaches);
        p.Write(Cache + 48, SlabCaches);
        p.Write(Node + 16, Node + 16);
        p.Write(Node + 24, Node + 16);
        Allocator = new SlubAllocator(p, SlubLayout.TryFind(p.Types)!, Kernel.V61.Layout, new PageGeometry(TestProgram.Base, Vmemmap, 4096, 64, 64));
    }

    public TestProgram Program { get; } = new();

    public bool Hardened { get; }

    public SlubAllocator Allocator { get; }

    public static ulong Memory(ulong pfn) => TestProgram.Base + (pfn << 12);

    public static ulong Object(ulong pfn, int index) => Memory(pfn) + ((ulong)index * Size);

    public static ulong Page(ulong pfn) => Vmemmap + (pfn * 64);

    /// <summary>Makes pfn a slab page of the cache with <paramref name="inuse"/> objects in use and slab.freelist at <paramref name="freelist"/>.</summary>
    public void Slab(ulong pfn, int inuse, ulong freelist, bool frozen = false)
    {
        ulong page = Page(pfn);
        Program.Write(page, 1UL << PgSlab);
        Program.Write(page + 24, Cache);
        Program.Write(page + 32, freelist);
        Program.Write(page + 40, (ulong)inuse | ((ulong)Objects << 16) | (frozen ? 1UL << 31 : 0));
    }

    /// <summary>Chains free objects: each index's free pointer holds the next one's address (stored as the kernel does).</summary>
    public ulong Chain(ulong pfn, params int[] indexes)
    {
        for (int i = 0; i < indexes.Length; i++)
        {
            ulong next = i + 1 < indexes.Length ? Object(pfn, indexes[i + 1]) : 0;
            StoreFreePointer(Object(pfn, indexes[i]), next);
        }

        return indexes.Length == 0 ? 0 : Object(pfn, indexes[0]);
    }

    public void StoreFreePointer(ulong obj, ulong next)
    {
        ulong at = obj + 64;
        Program.Write(at, Hardened ? SlabFreelist.Encode(next, at, Random) : next);
    }

    public void CpuSlabOf(int cpu, ulong pfn, ulong freelist, ulong partial = 0)
    {
        ulong c = CpuSlab + ((ulong)cpu * 0x1000);
        Program.Write(c, freelist);
        Program.Write(c + 16, pfn == 0 ? 0 : Page(pfn));
        Program.Write(c + 24, partial);
    }

    /// <summary>The node's counts and its partial list (slab_list links, in order; the last may point anywhere).</summary>
    public void NodeState(long slabs, long total, params ulong[] partialPfns)
    {
        Program.Write(Node + 8, (ulong)partialPfns.Length);
        Program.Write(Node + 32, (ulong)slabs);
        Program.Write(Node + 40, (ulong)total);
        ulong head = Node + 16;
        ulong prev = head;
        foreach (ulong pfn in partialPfns)
        {
            Program.Write(prev, Page(pfn) + 8);
            prev = Page(pfn) + 8;
        }

        Program.Write(prev, head);
    }

    public SlabCache TheCache => Allocator.Caches.Single();
}
