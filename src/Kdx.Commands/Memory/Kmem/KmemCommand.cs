using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux.Mm;

namespace Kdx.Commands.Memory.Kmem;

/// <summary><c>kmem</c>: the kernel's memory: summary, slab caches, pages, vmalloc areas, and what an address is.</summary>
public sealed class KmemCommand : Command
{
    private static readonly OptionParser Options = new("kmem", "ifFsSvVzngopPhrc");

    /// <inheritdoc/>
    public override string Name => "kmem";

    /// <inheritdoc/>
    public override string Summary => "kernel memory";

    /// <inheritdoc/>
    public override string Usage => "kmem [-f|-F|-c|-C|-i|-v|-V|-n|-z|-o|-h] [-p | -m member[,member]] [[-s|-S] [cache]] [-g [flags]] [[-P] address]";

    /// <inheritdoc/>
    public override string Help => """
        Answers questions about the crashed kernel's memory.

          -i            a summary of memory use: total, free and used pages, shared, buffers, page
                        cache, slab, huge pages, swap and the commit limit, with percentages.
          -s [cache]    one line per SLUB cache: its kmem_cache address, object size, objects in use,
                        objects in total, slabs and slab size, and its name. With a cache name, that
                        cache only. Counts are worked out from every node's totals less the free
                        objects of each CPU's slab and free list and of the partial slabs.
          -S [cache]    as -s, then each cache's slabs: per CPU its kmem_cache_cpu, its current slab
                        with every object, FREE or [ALLOCATED], and its partial slabs; per node its
                        kmem_cache_node and partial slabs. Free pointers obfuscated by
                        CONFIG_SLAB_FREELIST_HARDENED are decoded. A corrupt free list or slab list
                        is reported and the listing goes on.
          -s address    the cache, slab and object that hold the address.
          address       what the address is: a kernel or module symbol, a slab object (cache, slab,
                        and whether the object is free or allocated), a task's task_struct or stack,
                        a vmalloc area, a free page, a struct page of the mem_map; then the struct
                        page of the memory it lies in.
          -P address    the address is physical.
          -p [address]  every struct page: address, physical address, mapping, index, reference
                        count and flags (or only the page of a physical address).
          -g [flags]    the page flag bits of this kernel, or the ones set in a flags value.
          -v            every vmalloc area (vmap_area, vm_struct, address range, size).
          -V            the kernel's vm_stat counters (zone, node and event counters).
          -z            each memory zone with its sizes, watermarks and counters.
          -n            each node and memory section, with its mem_map.
          -f            the buddy allocator's free areas of each zone.
          -o            each CPU's per-CPU offset.
          -h            the huge page pools.
          -r, -c        not applicable to x86_64 kernels of this age (as crash says).

        Examples:
          kdx> kmem -s
          kdx> kmem -S kmalloc-64
          kdx> kmem ffff8e84c27eb258
          kdx> kmem -i
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        var o = Options.Parse(args);
        var program = context.Session.Program;
        foreach (string unsupported in new[] { "r", "c" })
        {
            if (o.Has(unsupported))
            {
                throw new CommandException($"kmem: -{unsupported} option not supported or applicable on this architecture or kernel");
            }
        }

        if (o.Has("o"))
        {
            PerCpuOffsets(context);
            return;
        }

        if (o.Has("i") || o.Has("h") || o.Has("V"))
        {
            var info = new KmemInfoText(context);
            if (o.Has("i"))
            {
                info.Summary();
            }
            else if (o.Has("h"))
            {
                info.HugePools();
            }
            else
            {
                info.Counters();
            }

            return;
        }

        if (o.Has("f") || o.Has("z"))
        {
            var free = new KmemFreeText(context, Slub(context));
            if (o.Has("f"))
            {
                free.FreeAreas();
            }
            else
            {
                free.ZoneStats();
            }

            return;
        }

        if (o.Has("v"))
        {
            VmallocAreas(context);
            return;
        }

        if (o.Has("g"))
        {
            new KmemPageText(context).PageFlags(o.Positionals.Count > 0 ? NumberArgument.ParseHex(o.Positionals[0]) : null);
            return;
        }

        if (o.Has("s") || o.Has("S"))
        {
            var slab = new KmemSlabText(context, Slub(context));
            string? arg = o.Positionals.Count > 0 ? o.Positionals[0] : null;
            if (arg is not null && slab.Allocator.FindCache(arg) is null && (NumberArgument.IsHexadecimal(arg) || arg.StartsWith('(')))
            {
                slab.Address(AddressArgument.Parse(arg, program.Symbols), verbose: o.Has("S"));
            }
            else
            {
                slab.Caches(arg, verbose: o.Has("S"));
            }

            return;
        }

        if (o.Has("p"))
        {
            var pages = new KmemPageText(context);
            if (o.Positionals.Count == 0)
            {
                pages.EveryPage();
            }
            else
            {
                foreach (string a in o.Positionals)
                {
                    pages.PhysicalPage(NumberArgument.ParseHex(a));
                }
            }

            return;
        }

        if (o.Positionals.Count == 0)
        {
            throw new CommandException("kmem: an option or an address is needed (see help kmem)");
        }

        var search = new KmemAddressText(context, Slub(context));
        for (int i = 0; i < o.Positionals.Count; i++)
        {
            if (i > 0)
            {
                context.WriteLine(string.Empty);
            }

            if (o.Has("P"))
            {
                search.Physical(NumberArgument.ParseHex(o.Positionals[i]));
            }
            else
            {
                search.Virtual(AddressArgument.Parse(o.Positionals[i], program.Symbols));
            }
        }
    }

    private static SlubAllocator Slub(CommandContext context) =>
        context.Session.Program.Derived(SlubAllocator.Open);

    private static void VmallocAreas(CommandContext context)
    {
        var problems = new List<string>();
        var areas = VmapAreas.Read(context.Session.Program, problems);
        context.WriteLine(KmemAddressText.VmapHeader);
        foreach (var a in areas)
        {
            context.WriteLine(KmemAddressText.VmapLine(a));
        }

        foreach (string p in problems)
        {
            context.WriteLine($"kmem: {p}");
        }
    }

    private static void PerCpuOffsets(CommandContext context)
    {
        var offsets = context.Session.Program.Layout.PerCpuOffsets;
        context.WriteLine("PER-CPU OFFSET VALUES:");
        for (int cpu = 0; cpu < offsets.Count; cpu++)
        {
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  CPU {cpu}: {offsets[cpu]:x}"));
        }
    }
}
