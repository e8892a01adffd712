using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Linux.Mm;
using Kdx.Core.Linux.Tasks;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Commands.Memory.Kmem;

/// <summary>
/// <c>kmem address</c>: everything the address is, in crash's order: the symbol it is in; for a vmalloc address
/// the task whose stack it is and its vmalloc area; a slab object; the free block of the buddy allocator; the
/// task whose task_struct or stack holds it; and last the struct page of its memory.
/// </summary>
internal sealed class KmemAddressText(CommandContext context, SlubAllocator slub)
{
    /// <summary>crash's vmap_area header.</summary>
    public const string VmapHeader = "   VMAP_AREA         VM_STRUCT                 ADDRESS RANGE                SIZE";

    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    private KernelProgram Program => context.Session.Program;

    /// <summary>A kernel virtual address.</summary>
    public void Virtual(ulong address)
    {
        var layout = Program.Layout;
        var geometry = slub.Geometry;
        if (InKernelImageOrModule(address))
        {
            SymbolLine(address);
        }

        // crash's IS_VMALLOC_ADDR(): the vmalloc range and the module range, both handed out by vmalloc.
        if ((address >= layout.VmallocBase && address < layout.VmallocEnd) || (address >= layout.ModulesStart && address < layout.ModulesEnd))
        {
            if (StackOwner(address) is { } stackTask)
            {
                TaskContext(stackTask);
                context.WriteLine(string.Empty);
            }

            if (Program.Kernel.Translate(address, out ulong physical) == ReadStatus.Ok && Area(address) is { } area)
            {
                context.WriteLine(VmapHeader);
                context.WriteLine(VmapLine(area));
                context.WriteLine(string.Empty);
                PageLine(geometry.PfnOfPhysical(physical), address);
                return;
            }
        }

        var slab = new KmemSlabText(context, slub);
        if (slab.ObjectOrSlab(address, verbose: false))
        {
            context.WriteLine(string.Empty);
        }

        if (slub.Geometry.TryPfnOfDirect(address, out _) || slub.Geometry.TryPfnOfPage(address, out _))
        {
            var free = new KmemFreeText(context, slub);
            if (free.FreeBlock(address))
            {
                context.WriteLine(string.Empty);
            }
        }

        if (TaskOwner(address) is { } task)
        {
            TaskContext(task);
            context.WriteLine(string.Empty);
        }
        else if (StackOwner(address) is { } owner)
        {
            TaskContext(owner);
            context.WriteLine(string.Empty);
        }

        if (geometry.TryPfnOfPageByte(address, out ulong pagePfn) && address >= layout.VmemmapBase && address < layout.VmemmapEnd)
        {
            PageLine(pagePfn, address);
        }
        else if (geometry.TryPfnOfDirect(address, out ulong pfn))
        {
            PageLine(pfn, address);
        }
        else if (Program.Kernel.Translate(address, out ulong p) == ReadStatus.Ok)
        {
            PageLine(geometry.PfnOfPhysical(p), address);
        }
        else
        {
            context.WriteLine(string.Create(Ci, $"{address:x}: kernel virtual address not found in mem map"));
        }
    }

    /// <summary><c>kmem -P address</c>: a physical address, looked at through the direct map.</summary>
    public void Physical(ulong physical)
    {
        ulong pfn = slub.Geometry.PfnOfPhysical(physical);
        if (pfn >= slub.Geometry.EndPfn)
        {
            context.WriteLine(string.Create(Ci, $"{physical:x}: physical address not found in mem map"));
            return;
        }

        Virtual(Program.Kernel.PhysicalToVirtual(physical));
    }

    /// <summary>crash's vmap_area line.</summary>
    public static string VmapLine(VmapArea a) =>
        string.Create(Ci, $"{a.Area:x16}  {a.Vm:x16}  {a.Start:x16} - {a.End:x16}  {a.End - a.Start,7}");

    private bool InKernelImageOrModule(ulong address) =>
        (Program.Symbols.TryGetAddress("_stext", out ulong stext) && Program.Symbols.TryGetAddress("_end", out ulong end) && address >= stext && address <= end)
        || Program.ModuleAt(address) is not null;

    private void SymbolLine(ulong address)
    {
        if (!context.Session.Commands.TryGet("sym", out var sym))
        {
            return;
        }

        using var text = new StringWriter(Ci);
        try
        {
            sym.Execute(new CommandContext(context.Session, text, context.Cancellation), [address.ToString("x", Ci)]);
        }
        catch (KdxException)
        {
            return;
        }

        string first = text.ToString().Split('\n')[0];
        if (first.Length > 0)
        {
            context.WriteLine(first);
            context.WriteLine(string.Empty);
        }
    }

    private VmapArea? Area(ulong address)
    {
        var areas = Program.Derived(p => new VmapAreaCache(VmapAreas.Read(p, new List<string>()))).Areas;
        int lo = 0, hi = areas.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (areas[mid].End <= address)
            {
                lo = mid + 1;
            }
            else if (areas[mid].Start > address)
            {
                hi = mid - 1;
            }
            else
            {
                return areas[mid];
            }
        }

        return null;
    }

    private void PageLine(ulong pfn, ulong address)
    {
        if (!new KmemPageText(context).PageOfFrame(pfn))
        {
            context.WriteLine(string.Create(Ci, $"{address:x}: kernel virtual address not found in mem map"));
        }
    }

    private KernelTask? TaskOwner(ulong address)
    {
        // The nearest task_struct at or below the address (a smaller neighbour's sizeof may reach past its slab object).
        ulong size = (ulong)(Program.Types.FindType("task_struct", Kdx.Core.Types.TypeKind.Struct)?.Size ?? 0);
        return context.Session.Tasks.Tasks.Where(t => address >= t.Address && address < t.Address + size).MaxBy(t => t.Address);
    }

    private KernelTask? StackOwner(ulong address)
    {
        // union thread_union is THREAD_SIZE bytes (arch/x86/include/asm/page_64_types.h: 16 KiB without KASAN).
        ulong size = (ulong)(Program.Types.FindType("thread_union", Kdx.Core.Types.TypeKind.Union)?.Size ?? 16384);
        return context.Session.Tasks.Tasks.FirstOrDefault(t => t.Stack != 0 && address >= t.Stack && address < t.Stack + size);
    }

    private void TaskContext(KernelTask task)
    {
        var tasks = context.Session.Tasks;
        int same = 0, nth = 0;
        foreach (var t in tasks.Tasks)
        {
            if (t.Pid == task.Pid)
            {
                same++;
                if (t.Address == task.Address)
                {
                    nth = same;
                }
            }
        }

        int? panicCpu = Kdx.Core.Linux.KernelInfo.TryGetPanicCpu(Program) ?? Program.Dump.PanicCpu;
        bool active = task.Cpu < tasks.CurrentByCpu.Count && tasks.CurrentByCpu[task.Cpu] == task.Address;
        string mark = !active ? string.Empty : task.Cpu == panicCpu ? "(PANIC)" : "(ACTIVE)";
        context.WriteLine(string.Create(Ci, $"    PID: {task.Pid}"));
        context.WriteLine($"COMMAND: \"{task.Comm}\"");
        string of = same > 1 ? string.Create(Ci, $"  ({nth} of {same})") : string.Empty;
        context.WriteLine(string.Create(Ci, $"   TASK: {task.Address:x}{of}  [THREAD_INFO: {task.Address:x}]"));
        context.WriteLine(string.Create(Ci, $"    CPU: {task.Cpu}"));
        context.WriteLine($"  STATE: {tasks.States.VerboseName(task.State)} {mark}");
    }

    /// <summary>The busy vmalloc areas, read once per program.</summary>
    internal sealed record VmapAreaCache(IReadOnlyList<VmapArea> Areas);
}
