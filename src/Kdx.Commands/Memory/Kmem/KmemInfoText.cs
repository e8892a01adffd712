using System.Buffers.Binary;
using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux;
using Kdx.Core.Linux.Mm;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Memory.Kmem;

/// <summary><c>kmem -i</c> (the memory summary), <c>-h</c> (huge page pools) and <c>-V</c> (vm_stat counters).</summary>
internal sealed class KmemInfoText(CommandContext context)
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    private KernelProgram Program => context.Session.Program;

    /// <summary>crash's pages_to_size(): "0", "N KB", "N.N MB", "N.N GB", with a ".0" dropped.</summary>
    public static string Size(long pages, int pageSize)
    {
        if (pages == 0)
        {
            return "0";
        }

        double total = (double)pages * pageSize;
        string s = total >= 1 << 30 ? string.Create(Ci, $"{total / (1 << 30):0.0} GB")
            : total >= 1 << 20 ? string.Create(Ci, $"{total / (1 << 20):0.0} MB")
            : string.Create(Ci, $"{(long)(total / 1024)} KB");
        return s.Replace(".0 ", " ", StringComparison.Ordinal);
    }

    /// <summary><c>kmem -i</c>.</summary>
    public void Summary()
    {
        var p = Program;
        int pageSize = p.PageSize;
        var stat = VmStat.Read(p);
        long total = ReadLong("_totalram_pages") ?? ReadLong("totalram_pages") ?? 0;
        long free = stat.Value("NR_FREE_PAGES") ?? 0;
        long shared = SharedPages();
        long buffers = BlockDevicePages();
        long cached = Math.Max(0, (stat.Value("NR_FILE_PAGES") ?? 0) - (stat.Value("NR_SWAPCACHE") ?? 0) - buffers);

        // The kernel's own slab size (/proc/meminfo Slab:): both NR_SLAB_*_B node counters hold pages (v5.9+).
        long slab = (stat.Value("NR_SLAB_RECLAIMABLE_B") ?? stat.Value("NR_SLAB_RECLAIMABLE") ?? 0)
            + (stat.Value("NR_SLAB_UNRECLAIMABLE_B") ?? stat.Value("NR_SLAB_UNRECLAIMABLE") ?? 0);
        context.WriteLine("                 PAGES        TOTAL      PERCENTAGE");
        Line("TOTAL MEM", total, null, 0);
        Line("FREE", free, "TOTAL MEM", total);
        Line("USED", total - free, "TOTAL MEM", total);
        Line("SHARED", shared, "TOTAL MEM", total);
        Line("BUFFERS", buffers, "TOTAL MEM", total);
        Line("CACHED", cached, "TOTAL MEM", total);
        Line("SLAB", slab, "TOTAL MEM", total);

        var (hugeTotal, hugeFree) = HugePages();
        context.WriteLine(string.Empty);
        Line("TOTAL HUGE", hugeTotal, null, 0);
        Line("HUGE FREE", hugeFree, "TOTAL HUGE", hugeTotal);

        // mm/swapfile.c: total_swap_pages, and nr_swap_pages (atomic_long_t) the free ones.
        long swap = ReadLong("total_swap_pages") ?? 0;
        long swapFree = ReadLong("nr_swap_pages") ?? 0;
        context.WriteLine(string.Empty);
        Line("TOTAL SWAP", swap, null, 0);
        Line("SWAP USED", swap - swapFree, "TOTAL SWAP", swap);
        Line("SWAP FREE", swapFree, "TOTAL SWAP", swap);

        // mm/util.c vm_commit_limit(): overcommit_kbytes, else (totalram - hugetlb) * ratio / 100; plus swap.
        long kbytes = ReadLong("sysctl_overcommit_kbytes") ?? 0;
        long ratio = ReadInt("sysctl_overcommit_ratio") ?? 50;
        long allowed = (kbytes != 0 ? kbytes >> (System.Numerics.BitOperations.TrailingZeroCount(pageSize) - 10) : (total - hugeTotal) * ratio / 100) + swap;
        long committed = Math.Max(0, CommittedPages());
        context.WriteLine(string.Empty);
        Line("COMMIT LIMIT", allowed, null, 0);
        Line("COMMITTED", committed, "TOTAL LIMIT", allowed);

        void Line(string label, long pages, string? of, long whole)
        {
            string size = Size(pages, pageSize);
            context.WriteLine(of is null
                ? string.Create(Ci, $"{label,13}  {pages,7}  {size,11}         ----")
                : string.Create(Ci, $"{label,13}  {pages,7}  {size,11}  {(whole == 0 ? 0 : pages * 100 / whole),3}% of {of}"));
        }
    }

    /// <summary><c>kmem -h</c>: each huge page pool (struct hstate) with its page size and free and total pages.</summary>
    public void HugePools()
    {
        context.WriteLine("     HSTATE        SIZE    FREE   TOTAL  NAME");
        foreach (var h in Hstates())
        {
            long bytes = (long)Program.PageSize << h.Order;
            string size = bytes >= 1 << 30 ? string.Create(Ci, $"{bytes >> 30}GB") : string.Create(Ci, $"{bytes >> 20}MB");
            context.WriteLine(string.Create(Ci, $"{h.Address:x16} {size,6} {h.Free,7} {h.Total,7}  {h.Name}"));
        }
    }

    /// <summary><c>kmem -V</c>: vm_zone_stat, vm_node_stat and the summed vm_event_states.</summary>
    public void Counters()
    {
        var stat = VmStat.Read(Program);
        int width = stat.Zone.Concat(stat.Node).Select(c => c.Name.Length).DefaultIfEmpty(0).Max();
        Section("VM_ZONE_STAT", stat.Zone, width);
        Section("VM_NODE_STAT", stat.Node, width);
        Section("VM_EVENT_STATES", stat.Events, stat.Events.Select(c => c.Name.Length).DefaultIfEmpty(0).Max());

        void Section(string title, IReadOnlyList<VmCounter> counters, int w)
        {
            if (counters.Count == 0)
            {
                return;
            }

            context.WriteLine($"  {title}:");
            foreach (var c in counters)
            {
                context.WriteLine(string.Create(Ci, $"{c.Name.PadLeft(w)}: {c.Value}"));
            }

            context.WriteLine(string.Empty);
        }
    }

    private IEnumerable<(ulong Address, int Order, long Free, long Total, string Name)> Hstates()
    {
        var p = Program;
        var h = StructLayout.TryFind(p.Types, "hstate");
        if (h is null || p.AddressOf("hstates") is not { } table)
        {
            yield break;
        }

        int count = (int)Math.Clamp(ReadInt("hugetlb_max_hstate") ?? 0, 0, 64);
        for (int i = 0; i < count; i++)
        {
            ulong a = table + (ulong)(i * h.Size);
            var b = new byte[h.Size];
            if (p.Kernel.Read(a, b, out _) != ReadStatus.Ok)
            {
                continue;
            }

            int order = (int)h.Read(b, "order");
            string name = h.Has("name") ? Kdx.Core.Linux.KernelStrings.FromBuffer(b.AsSpan(h.Offset("name"), h.SizeOf("name"))) : string.Empty;
            yield return (a, order, (long)h.Read(b, "free_huge_pages"), (long)h.Read(b, "nr_huge_pages"), name);
        }
    }

    private (long Total, long Free) HugePages()
    {
        long total = 0, free = 0;
        foreach (var h in Hstates().Where(h => h.Order != 0))
        {
            total += h.Total << h.Order;
            free += h.Free << h.Order;
        }

        return (total, free);
    }

    // crash's SHARED: the pages of the mem_map that are not PG_reserved and have a reference count above 1.
    private long SharedPages()
    {
        var p = Program;
        int? reserved = p.Types.FindType("pageflags", TypeKind.Enum)?.Enumerators.FirstOrDefault(e => e.Name == "PG_reserved")?.Value is { } r ? (int)r : null;
        var page = StructLayout.TryFind(p.Types, "page");
        if (page is null || p.VmcoreInfo is null)
        {
            return 0;
        }

        int size = page.Size, flagsAt = page.Offset("flags"), countAt = page.Offset("_refcount");
        var slub = p.Derived(SlubAllocator.Open);
        var map = p.Derived(x => new MemMapHolder(MemMap.Read(x.Kernel, x.VmcoreInfo!, x.PageSize, slub.Geometry.EndPfn))).Map;
        var buffer = new byte[size * 512];
        long shared = 0;
        for (ulong pfn = 0; pfn < slub.Geometry.EndPfn;)
        {
            if (!map.TryGetStructPage(pfn, out ulong first))
            {
                pfn += map.ContiguousFrom(pfn);
                continue;
            }

            context.Cancellation.ThrowIfCancellationRequested();
            int n = (int)Math.Min(512, map.ContiguousFrom(pfn));
            var chunk = buffer.AsSpan(0, n * size);
            if (p.Kernel.Read(first, chunk, out _) == ReadStatus.Ok)
            {
                for (int i = 0; i < n; i++)
                {
                    var s = chunk.Slice(i * size, size);
                    ulong flags = BinaryPrimitives.ReadUInt64LittleEndian(s[flagsAt..]);
                    int count = BinaryPrimitives.ReadInt32LittleEndian(s[countAt..]);
                    if ((reserved is not { } bit || (flags & (1UL << bit)) == 0) && count > 1)
                    {
                        shared++;
                    }
                }
            }

            pfn += (ulong)n;
        }

        return shared;
    }

    // fs/block_dev.c nr_blockdev_pages(): the page cache pages of every block device inode.
    private long BlockDevicePages()
    {
        var p = Program;
        var sb = StructLayout.TryFind(p.Types, "super_block");
        var inode = StructLayout.TryFind(p.Types, "inode");
        if (sb is null || inode is null || p.AddressOf("blockdev_superblock") is not { } sbPtr || !p.Kernel.TryReadUInt64(sbPtr, out ulong super) || super == 0
            || sb.TryOffset("s_inodes") is not { } list || inode.TryOffset("i_sb_list") is not { } link || inode.TryOffset("i_data.nrpages") is not { } nrpages)
        {
            return 0;
        }

        long pages = 0;
        var problems = new List<string>();
        ulong head = super + (ulong)list;
        var seen = new HashSet<ulong>();
        for (ulong next = p.Kernel.TryReadUInt64(head, out ulong n) ? n : head; next != head && seen.Add(next) && seen.Count < 1 << 20;)
        {
            if (p.Kernel.TryReadUInt64(next - (ulong)link + (ulong)nrpages, out ulong count))
            {
                pages += (long)count;
            }

            if (!p.Kernel.TryReadUInt64(next, out next))
            {
                break;
            }
        }

        return pages;
    }

    // mm/util.c vm_committed_as: a percpu_counter; crash reads its central count only.
    private long CommittedPages() =>
        Program.AddressOf("vm_committed_as") is { } a && StructLayout.TryFind(Program.Types, "percpu_counter")?.TryOffset("count") is { } c
            && Program.Kernel.TryReadUInt64(a + (ulong)c, out ulong v) ? (long)v : 0;

    private long? ReadLong(string symbol) =>
        Program.AddressOf(symbol) is { } a && Program.Kernel.TryReadUInt64(a, out ulong v) ? (long)v : null;

    private long? ReadInt(string symbol)
    {
        if (Program.AddressOf(symbol) is not { } a)
        {
            return null;
        }

        Span<byte> b = stackalloc byte[4];
        return Program.Kernel.Read(a, b, out _) == ReadStatus.Ok ? BinaryPrimitives.ReadInt32LittleEndian(b) : null;
    }

    /// <summary>The program's mem_map, read once.</summary>
    internal sealed record MemMapHolder(MemMap Map);
}
