using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux.Mm;

namespace Kdx.Commands.Memory.Kmem;

/// <summary><c>kmem -s</c>, <c>-S</c> and <c>-s address</c>: SLUB caches, slabs and objects in crash's layout.</summary>
internal sealed class KmemSlabText(CommandContext context, SlubAllocator allocator)
{
    /// <summary>crash's kmem_cache header.</summary>
    public const string CacheHeader = "CACHE             OBJSIZE  ALLOCATED     TOTAL  SLABS  SSIZE  NAME";

    private const string SlabHeader = "  SLAB              MEMORY            NODE  TOTAL  ALLOCATED  FREE";
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public SlubAllocator Allocator => allocator;

    /// <summary>Every cache (or the one named), with <paramref name="verbose"/> each one's slabs.</summary>
    public void Caches(string? name, bool verbose)
    {
        var caches = allocator.Caches;
        Warn(allocator.Problems);
        if (name is not null)
        {
            var cache = allocator.FindCache(name) ?? throw new CommandException($"kmem: invalid kmem_cache name: {name}");
            caches = [cache];
        }

        context.WriteLine(CacheHeader);
        for (int i = 0; i < caches.Count; i++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            CacheLine(caches[i]);
            if (verbose)
            {
                Slabs(caches[i]);
                if (i + 1 < caches.Count)
                {
                    context.WriteLine(CacheHeader);
                }
            }
        }
    }

    /// <summary><c>kmem -s address</c>: the cache, the slab and the object holding it.</summary>
    public void Address(ulong address, bool verbose)
    {
        if (!ObjectOrSlab(address, verbose))
        {
            context.WriteLine(string.Create(Ci, $"kmem: address is not allocated in slab subsystem: {address:x}"));
        }
    }

    /// <summary>
    /// The cache line, slab line and object line of an address in a slab (every object when the address is the
    /// slab's struct page, or with <paramref name="verbose"/>); false when the address is in no slab.
    /// </summary>
    public bool ObjectOrSlab(ulong address, bool verbose, bool header = true)
    {
        ulong? page = allocator.SlabPageOf(address, isStructPage: true);
        bool isPage = page is not null && allocator.Geometry.TryPfnOfPage(address, out _);
        page ??= allocator.SlabPageOf(address);
        if (page is not { } p || allocator.TryReadSlab(p) is not { } slab || allocator.CacheAt(slab.Cache) is not { } cache)
        {
            return false;
        }

        if (header)
        {
            context.WriteLine(CacheHeader);
        }

        CacheLine(cache);
        var contents = allocator.ReadContents(cache, slab);
        SlabLines(cache, contents, isPage || verbose ? null : address);
        return true;
    }

    private void CacheLine(SlabCache cache)
    {
        var s = allocator.Statistics(cache);
        Warn(s.Problems);
        long ssize = cache.SlabBytes(allocator.Geometry.PageSize) / 1024;
        context.WriteLine(string.Create(Ci, $"{cache.Address:x16} {cache.ObjectSize,8}  {s.Allocated,9}  {s.Total,8}  {s.Slabs,5}  {ssize,4}k  {cache.Name}"));
    }

    // crash's do_kmem_cache_slub(): per CPU its kmem_cache_cpu, slab and partial slabs; per node its lists.
    private void Slabs(SlabCache cache)
    {
        var problems = new List<string>();
        var cpus = allocator.CpuSlabs(cache);
        var perNode = new Dictionary<int, int>();
        foreach (var c in cpus)
        {
            context.WriteLine(string.Create(Ci, $"CPU {c.Cpu} KMEM_CACHE_CPU:"));
            context.WriteLine(string.Create(Ci, $"  {c.Address:x}"));
            context.WriteLine(string.Create(Ci, $"CPU {c.Cpu} SLAB:"));
            if (c.Slab == 0)
            {
                context.WriteLine("  (empty)");
            }
            else if (allocator.TryReadSlab(c.Slab) is { } slab)
            {
                perNode[slab.Node] = perNode.GetValueOrDefault(slab.Node) + 1;
                SlabLines(cache, allocator.ReadContents(cache, slab, cpus), null);
            }
            else
            {
                problems.Add($"{cache.Name}: invalid slab address: {c.Slab:x}");
            }

            if (allocator.Layout.CpuPartial is not null)
            {
                context.WriteLine(string.Create(Ci, $"CPU {c.Cpu} PARTIAL:"));
                bool any = false;
                foreach (var partial in allocator.CpuPartial(cache, c, problems))
                {
                    any = true;
                    SlabLines(cache, allocator.ReadContents(cache, partial, cpus), null);
                }

                if (!any)
                {
                    context.WriteLine("  (empty)");
                }
            }
        }

        foreach (var n in allocator.Nodes(cache))
        {
            context.WriteLine("KMEM_CACHE_NODE   NODE  SLABS  PARTIAL  PER-CPU");
            context.WriteLine(string.Create(Ci, $"{n.Address:x16}  {n.Node,4}  {n.NrSlabs ?? 0,5}  {n.NrPartial,7}  {perNode.GetValueOrDefault(n.Node),7}"));
            NodeList(cache, n, full: false, problems);
            if (allocator.Layout.NodeFull is null || (cache.Flags & SlabCache.SlabStoreUser) == 0)
            {
                context.WriteLine(string.Create(Ci, $"NODE {n.Node} FULL:"));
                context.WriteLine("  (not tracked)");
            }
            else
            {
                NodeList(cache, n, full: true, problems);
            }
        }

        context.WriteLine(string.Empty);
        Warn(problems);
    }

    private void NodeList(SlabCache cache, KmemCacheNode node, bool full, List<string> problems)
    {
        context.WriteLine(string.Create(Ci, $"NODE {node.Node} {(full ? "FULL" : "PARTIAL")}:"));
        bool any = false;
        foreach (var slab in allocator.NodeList(cache, node, full, problems))
        {
            if (!any)
            {
                context.WriteLine(SlabHeader);
                any = true;
            }

            context.Cancellation.ThrowIfCancellationRequested();
            SlabLine(allocator.ReadContents(cache, slab));
        }

        if (!any)
        {
            context.WriteLine("  (empty)");
        }
    }

    // The slab line and its objects, FREE or [ALLOCATED]; only the one holding `only` when given.
    private void SlabLines(SlabCache cache, SlabContents contents, ulong? only)
    {
        context.WriteLine(SlabHeader);
        SlabLine(contents);
        context.WriteLine("  FREE / [ALLOCATED]");
        ulong stride = Math.Max(1u, cache.Size);
        for (int i = 0; i < contents.Free.Count; i++)
        {
            ulong start = contents.Slab.Memory + ((ulong)i * stride);
            if (only is { } a && (a < start || a >= start + stride))
            {
                continue;
            }

            ulong shown = start + cache.RedLeftPad;
            context.WriteLine(contents.Free[i]
                ? string.Create(Ci, $"   {shown:x}  {(contents.CpuOf >= 0 ? $"(cpu {contents.CpuOf} cache)" : string.Empty)}")
                : string.Create(Ci, $"  [{shown:x}]"));
        }

        Warn(contents.Problems);
    }

    private void SlabLine(SlabContents c) =>
        context.WriteLine(string.Create(Ci, $"  {c.Slab.Address:x16}  {c.Slab.Memory:x16}  {c.Slab.Node,4}  {c.Slab.Objects,5}  {c.InUse,9}  {c.FreeCount,4}"));

    private void Warn(IEnumerable<string> problems)
    {
        foreach (string p in problems)
        {
            context.WriteLine($"kmem: {p}");
        }
    }
}
