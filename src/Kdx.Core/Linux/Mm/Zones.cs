using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Mm;

/// <summary>One memory zone (struct zone) of a node.</summary>
/// <param name="Node">The node id.</param>
/// <param name="Index">The zone's index in node_zones[].</param>
/// <param name="Address">The struct zone.</param>
/// <param name="Name">zone.name.</param>
/// <param name="StartPfn">zone_start_pfn.</param>
/// <param name="Spanned">spanned_pages.</param>
/// <param name="Present">present_pages.</param>
/// <param name="FreePages">vm_stat[NR_FREE_PAGES].</param>
/// <param name="Watermarks">_watermark[] (min, low, high).</param>
/// <param name="FreeArea">The address of free_area[0].</param>
/// <param name="NodeStartPfn">The node's node_start_pfn.</param>
public sealed record Zone(
    int Node, int Index, ulong Address, string Name, ulong StartPfn, long Spanned, long Present, long FreePages,
    IReadOnlyList<long> Watermarks, ulong FreeArea, ulong NodeStartPfn)
{
    /// <summary>Whether the zone holds <paramref name="pfn"/>.</summary>
    public bool Contains(ulong pfn) => pfn >= StartPfn && pfn - StartPfn < (ulong)Math.Max(0, Spanned);
}

/// <summary>A node (struct pglist_data).</summary>
/// <param name="Id">node_id.</param>
/// <param name="Address">The pglist_data.</param>
/// <param name="StartPfn">node_start_pfn.</param>
/// <param name="Spanned">node_spanned_pages.</param>
/// <param name="Present">node_present_pages.</param>
/// <param name="Zones">Its zones (node_zones[]).</param>
public sealed record MemoryNode(int Id, ulong Address, ulong StartPfn, long Spanned, long Present, IReadOnlyList<Zone> Zones);

/// <summary>A free block of the buddy allocator and the list it is on.</summary>
/// <param name="Zone">Its zone.</param>
/// <param name="Order">Its order (2^order pages).</param>
/// <param name="HeadPfn">Its first page frame.</param>
/// <param name="FreeList">The free_area[order].free_list[migratetype] it is on (0 when not found).</param>
public sealed record BuddyBlock(Zone Zone, int Order, ulong HeadPfn, ulong FreeList);

/// <summary>
/// Nodes, zones and the buddy allocator's free lists (include/linux/mmzone.h): node_data[] (or contig_page_data on
/// a kernel without NUMA), each node's node_zones[], and each zone's free_area[order].free_list[migratetype].
/// </summary>
public sealed class Zones
{
    private readonly IProgram _program;
    private readonly StructLayout _zone;

    private Zones(IProgram program, StructLayout pgdat, StructLayout zone, StructLayout freeArea, IReadOnlyList<MemoryNode> nodes)
    {
        _program = program;
        _zone = zone;
        FreeAreaSize = freeArea.Size;
        Orders = zone.SizeOf("free_area") / freeArea.Size;
        MigrateTypes = freeArea.SizeOf("free_list") / 16;
        ZonesPerNode = pgdat.SizeOf("node_zones") / zone.Size;
        Nodes = nodes;
    }

    /// <summary>The nodes.</summary>
    public IReadOnlyList<MemoryNode> Nodes { get; }

    /// <summary>sizeof(struct free_area).</summary>
    public int FreeAreaSize { get; }

    /// <summary>The orders of free_area[] (MAX_ORDER, or NR_PAGE_ORDERS).</summary>
    public int Orders { get; }

    /// <summary>MIGRATE_TYPES: the free lists of each order.</summary>
    public int MigrateTypes { get; }

    /// <summary>MAX_NR_ZONES.</summary>
    public int ZonesPerNode { get; }

    /// <summary>Reads the nodes and zones; null when the types lack them.</summary>
    public static Zones? TryRead(IProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var pgdat = StructLayout.TryFind(program.Types, "pglist_data");
        var zone = StructLayout.TryFind(program.Types, "zone");
        var area = StructLayout.TryFind(program.Types, "free_area");
        if (pgdat is null || zone is null || area is null)
        {
            return null;
        }

        var memory = program.Memory;
        var pgdats = new List<ulong>();
        if (program.Symbols.TryGetAddress("node_data", out ulong nodeData))
        {
            int count = program.Symbols.TryGetAddress("nr_node_ids", out ulong nr) && memory.TryReadUInt64(nr, out ulong n) ? (int)Math.Clamp(n & 0xffff_ffff, 1, 1024) : 1;
            for (int i = 0; i < count; i++)
            {
                pgdats.Add(memory.TryReadUInt64(nodeData + ((ulong)i * 8), out ulong p) ? p : 0);
            }
        }
        else if (program.Symbols.TryGetAddress("contig_page_data", out ulong contig))
        {
            pgdats.Add(contig);
        }

        string[] watermark = zone.Has("_watermark") ? ["_watermark"] : ["watermark"];
        int zonesPerNode = pgdat.SizeOf("node_zones") / zone.Size;
        var nodes = new List<MemoryNode>();
        for (int id = 0; id < pgdats.Count; id++)
        {
            ulong pg = pgdats[id];
            if (pg == 0)
            {
                continue;
            }

            ulong nodeStart = Read(memory, pg + (ulong)pgdat.Offset("node_start_pfn"));
            var zones = new List<Zone>();
            for (int z = 0; z < zonesPerNode; z++)
            {
                ulong a = pg + (ulong)pgdat.Offset("node_zones") + (ulong)(z * zone.Size);
                ulong namePtr = Read(memory, a + (ulong)zone.Offset("name"));
                string name;
                try
                {
                    name = namePtr == 0 ? "(unknown)" : memory.ReadCString(namePtr, 32, "zone.name");
                }
                catch (MemoryFaultException)
                {
                    name = "(unknown)";
                }

                var marks = new long[3];
                for (int w = 0; w < 3; w++)
                {
                    marks[w] = (long)Read(memory, a + (ulong)zone.Offset(watermark[0]) + (ulong)(w * 8));
                }

                zones.Add(new Zone(
                    id, z, a, name, Read(memory, a + (ulong)zone.Offset("zone_start_pfn")), (long)Read(memory, a + (ulong)zone.Offset("spanned_pages")),
                    (long)Read(memory, a + (ulong)zone.Offset("present_pages")), (long)Read(memory, a + (ulong)zone.Offset("vm_stat")), marks,
                    a + (ulong)zone.Offset("free_area"), nodeStart));
            }

            nodes.Add(new MemoryNode(
                (int)(Read(memory, pg + (ulong)(pgdat.TryOffset("node_id") ?? 0)) & 0xffff_ffff), pg, nodeStart,
                (long)Read(memory, pg + (ulong)pgdat.Offset("node_spanned_pages")), (long)Read(memory, pg + (ulong)pgdat.Offset("node_present_pages")), zones));
        }

        return new Zones(program, pgdat, zone, area, nodes);
    }

    /// <summary>The address of zone.vm_stat[0].</summary>
    public ulong VmStatOf(Zone zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return zone.Address + (ulong)_zone.Offset("vm_stat");
    }

    /// <summary>The list head free_area[order].free_list[type] of a zone.</summary>
    public ulong FreeList(Zone zone, int order, int type)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return zone.FreeArea + (ulong)(order * FreeAreaSize) + (ulong)(type * 16);
    }

    /// <summary>How many entries a free list has (it stops, and says so, at a loop or an unreadable link).</summary>
    public (long Count, string? Problem) CountList(ulong head)
    {
        var memory = _program.Memory;
        long count = 0;
        ulong next = Read(memory, head);
        var seen = new HashSet<ulong>();
        while (next != head)
        {
            if (next == 0 || !seen.Add(next) || count > 1 << 26)
            {
                return (count, $"free list {head:x} is broken at {next:x}");
            }

            count++;
            if (!memory.TryReadUInt64(next, out next))
            {
                return (count, $"free list {head:x}: cannot read entry {next:x}");
            }
        }

        return (count, null);
    }

    /// <summary>The zone of a page frame, or null.</summary>
    public Zone? ZoneOf(ulong pfn) => Nodes.SelectMany(n => n.Zones).FirstOrDefault(z => z.Spanned > 0 && z.Contains(pfn));

    /// <summary>
    /// The free buddy block holding <paramref name="pfn"/>: the first aligned head below it whose struct page is a
    /// buddy page (page_type PG_buddy) of an order that reaches it, and the free list it is linked on.
    /// </summary>
    public BuddyBlock? FindFreeBlock(ulong pfn, PageGeometry geometry, StructPageLayout pages)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentNullException.ThrowIfNull(pages);
        if (ZoneOf(pfn) is not { } zone)
        {
            return null;
        }

        var memory = _program.Memory;
        Span<byte> b = stackalloc byte[pages.Size];
        for (int order = 0; order < Orders; order++)
        {
            ulong head = pfn & ~((1UL << order) - 1);
            if (memory.Read(geometry.PageOf(head), b, out _) != ReadStatus.Ok)
            {
                continue;
            }

            var page = pages.Decode(b);
            if (pages.IsBuddy(page) && page.Private < (ulong)Orders && (int)page.Private >= order)
            {
                if ((int)page.Private != order)
                {
                    continue;
                }

                return new BuddyBlock(zone, order, head, ListOf(zone, order, geometry.PageOf(head) + (ulong)(pages.CompoundHeadOffset ?? 8)));
            }
        }

        return null;
    }

    // The free_list a buddy page's lru is linked on: follow the links until one lands in free_area[order].free_list[].
    private ulong ListOf(Zone zone, int order, ulong link)
    {
        ulong first = FreeList(zone, order, 0), end = FreeList(zone, order, MigrateTypes);
        ulong at = link;
        for (int i = 0; i < 1 << 20 && _program.Memory.TryReadUInt64(at, out ulong next); i++)
        {
            if (next >= first && next < end)
            {
                return next;
            }

            if (next == link)
            {
                break;
            }

            at = next;
        }

        return 0;
    }

    private static ulong Read(IMemoryReader memory, ulong address) => memory.TryReadUInt64(address, out ulong v) ? v : 0;
}
