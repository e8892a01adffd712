using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Linux.Mm;
using Kdx.Core.Model;

namespace Kdx.Commands.Memory.Kmem;

/// <summary>The buddy allocator's free areas (<c>kmem -f</c>), the free block an address is in, and zones (<c>kmem -z</c>).</summary>
internal sealed class KmemFreeText(CommandContext context, SlubAllocator slub)
{
    private const string ZoneHeader = "ZONE  NAME        SIZE    FREE      MEM_MAP       START_PADDR  START_MAPNR";
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    private KernelProgram Program => context.Session.Program;

    private Zones TheZones => Program.Derived(p => new ZonesHolder(Zones.TryRead(p))).Zones
        ?? throw new KdxException("no type information for struct pglist_data, zone and free_area");

    /// <summary><c>kmem -f</c>: every zone, and the blocks and pages of each free list of each order.</summary>
    public void FreeAreas()
    {
        var zones = TheZones;
        long sum = 0, found = 0;
        var problems = new List<string>();
        foreach (var node in zones.Nodes)
        {
            foreach (var zone in node.Zones)
            {
                context.WriteLine((zone.Index > 0 ? "\n" : string.Empty) + ZoneHeader);
                context.WriteLine(ZoneLine(zone));
                sum += zone.FreePages;
                if (zone.FreePages == 0)
                {
                    continue;
                }

                context.WriteLine("AREA    SIZE  FREE_AREA_STRUCT  BLOCKS  PAGES");
                for (int order = 0; order < zones.Orders; order++)
                {
                    for (int type = 0; type < zones.MigrateTypes; type++)
                    {
                        context.Cancellation.ThrowIfCancellationRequested();
                        ulong list = zones.FreeList(zone, order, type);
                        var (blocks, problem) = zones.CountList(list);
                        if (problem is not null)
                        {
                            problems.Add(problem);
                        }

                        found += blocks << order;
                        context.WriteLine(string.Create(Ci, $"{order,3}  {(Program.PageSize << order) / 1024,6}k  {list:x16}  {blocks,6} {blocks << order,6}"));
                    }
                }
            }
        }

        context.WriteLine(string.Empty);
        context.WriteLine(string.Create(Ci, $"nr_free_pages: {sum}  {(sum == found ? "(verified)" : $"(found {found})")}"));
        foreach (string p in problems)
        {
            context.WriteLine($"kmem: {p}");
        }
    }

    /// <summary>The free block holding the address (a direct-map address or a struct page); false when none.</summary>
    public bool FreeBlock(ulong address)
    {
        var g = slub.Geometry;
        ulong pfn;
        if (!g.TryPfnOfPage(address, out pfn) && !g.TryPfnOfDirect(address, out pfn))
        {
            return false;
        }

        var pages = StructPageLayout.FromVmcoreInfo(Program.VmcoreInfo!);
        if (Program.Derived(p => new ZonesHolder(Zones.TryRead(p))).Zones?.FindFreeBlock(pfn, g, pages) is not { } block)
        {
            return false;
        }

        context.WriteLine(ZoneHeader);
        context.WriteLine(ZoneLine(block.Zone));
        context.WriteLine("AREA    SIZE  FREE_AREA_STRUCT");
        context.WriteLine(string.Create(Ci, $"{block.Order,3}  {(Program.PageSize << block.Order) / 1024,6}k  {block.FreeList:x16}  "));
        ulong offset = pfn - block.HeadPfn;
        string of = block.Order == 0 ? string.Empty : string.Create(Ci, $"({address:x} is {Ordinal(offset + 1)} of {1UL << block.Order} pages)");
        context.WriteLine(string.Create(Ci, $"{g.PageOf(block.HeadPfn):x16}  {of}"));
        return true;
    }

    /// <summary><c>kmem -z</c>: each zone with its size, watermarks and vm_stat counters.</summary>
    public void ZoneStats()
    {
        var zones = TheZones;
        foreach (var node in zones.Nodes)
        {
            foreach (var zone in node.Zones)
            {
                context.WriteLine(string.Create(Ci, $"NODE: {node.Id}  ZONE: {zone.Index}  ADDR: {zone.Address:x}  NAME: \"{zone.Name}\""));
                if (zone.Spanned == 0)
                {
                    context.WriteLine("  [unpopulated]");
                    context.WriteLine(string.Empty);
                    continue;
                }

                string present = zone.Present != zone.Spanned ? string.Create(Ci, $"  PRESENT: {zone.Present}") : string.Empty;
                context.WriteLine(string.Create(Ci, $"  SIZE: {zone.Spanned}{present}  MIN/LOW/HIGH: {zone.Watermarks[0]}/{zone.Watermarks[1]}/{zone.Watermarks[2]}"));
                context.WriteLine("  VM_STAT:");
                var counters = VmStat.ReadArray(Program, zones.VmStatOf(zone), "zone_stat_item");
                int width = counters.Select(c => c.Name.Length).DefaultIfEmpty(0).Max();
                foreach (var c in counters)
                {
                    context.WriteLine(string.Create(Ci, $"{c.Name.PadLeft(width)}: {c.Value}"));
                }

                context.WriteLine(string.Empty);
                context.WriteLine(string.Empty);
            }
        }
    }

    // crash's mkstring(CENTER): the spare room split, the extra space on the left for right-justified numbers.
    private static string Center(string s, int width, bool right = false)
    {
        int pad = Math.Max(0, width - s.Length);
        int left = right ? (pad + 1) / 2 : pad / 2;
        return new string(' ', left) + s + new string(' ', pad - left);
    }

    private static string Ordinal(ulong n)
    {
        string suffix = (n % 100) is >= 11 and <= 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" };
        return string.Create(Ci, $"{n}{suffix}");
    }

    private string ZoneLine(Zone zone)
    {
        // START_MAPNR counts from the node's first struct page (crash's node mem_map).
        bool any = zone.Spanned > 0;
        ulong memMap = any ? slub.Geometry.PageOf(zone.StartPfn) : 0;
        ulong paddr = any ? slub.Geometry.PhysicalAddress(zone.StartPfn) : 0;
        ulong mapnr = any ? zone.StartPfn - zone.NodeStartPfn : 0;
        return string.Create(Ci, $"{zone.Index,3}   {zone.Name,-9} {zone.Spanned,6}  {zone.FreePages,6}  {Center(memMap.ToString("x", Ci), 16)}  {Center(paddr.ToString("x", Ci), 11, right: true)}  {Center(mapnr.ToString(Ci), 11, right: true)}");
    }

    /// <summary>The program's zones, read once.</summary>
    internal sealed record ZonesHolder(Zones? Zones);
}
