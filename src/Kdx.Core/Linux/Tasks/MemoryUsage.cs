using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Tasks;

/// <summary>
/// A task's memory use as ps shows it: VSZ (mm->total_vm) and RSS (file + anonymous + shmem pages of
/// mm->rss_stat, include/linux/mm.h get_mm_rss), in KiB, and RSS as a share of the machine's RAM.
/// Two layouts: an array of atomic_long_t counters (mm->rss_stat.count[], with each thread's cached
/// task->rss_stat deltas under SPLIT_RSS_COUNTING), and since v6.2 (commit f1a7941243c1 "mm: convert mm's
/// rss stats into percpu_counter") one percpu_counter per kind, whose true value is count plus every
/// CPU's delta.
/// </summary>
public sealed class MemoryUsage
{
    // include/linux/mm_types_task.h: MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES.
    private static readonly int[] RssKinds = [0, 1, 3];

    private readonly IProgram _program;
    private readonly int _pageKb;
    private readonly int _totalVm;
    private readonly int _rssStat;
    private readonly int? _percpuCount;
    private readonly int? _percpuCounters;
    private readonly int _percpuSize;
    private readonly int? _taskRss;
    private readonly Dictionary<ulong, (ulong Vsz, ulong Rss)> _byMm = [];

    /// <summary>Looks up the layout; the page size is the dump's.</summary>
    public MemoryUsage(IProgram program, int pageSize)
    {
        _program = program;
        _pageKb = pageSize / 1024;
        var mm = StructLayout.Find(program.Types, "mm_struct");
        _totalVm = mm.Offset("total_vm");
        _rssStat = mm.Offset("rss_stat");
        if (StructLayout.TryFind(program.Types, "percpu_counter") is { } pc && mm.SizeOf("rss_stat") % pc.Size == 0 && mm.SizeOf("rss_stat") / pc.Size == 4)
        {
            _percpuCount = pc.Offset("count");
            _percpuCounters = pc.Offset("counters");
            _percpuSize = pc.Size;
        }

        var task = StructLayout.Find(program.Types, "task_struct");
        _taskRss = task.TryOffset("rss_stat.count");
        TotalRamPages = ReadTotalRam(program);
    }

    /// <summary>The machine's RAM in pages (totalram_pages), 0 when unknown.</summary>
    public ulong TotalRamPages { get; }

    /// <summary>VSZ and RSS in KiB of a task (0, 0 for a kernel thread). Threads that share an mm share the answer.</summary>
    public (ulong VszKb, ulong RssKb) Of(KernelTask task, IEnumerable<KernelTask> sameMm)
    {
        if (task.Mm == 0)
        {
            return (0, 0);
        }

        if (!_byMm.TryGetValue(task.Mm, out var pages))
        {
            pages = Read(task.Mm, sameMm);
            _byMm[task.Mm] = pages;
        }

        return (pages.Vsz * (ulong)_pageKb, pages.Rss * (ulong)_pageKb);
    }

    /// <summary>RSS as a percentage of RAM.</summary>
    public double Percent(ulong rssKb) => TotalRamPages == 0 ? 0 : rssKb / (double)_pageKb * 100.0 / TotalRamPages;

    private (ulong Vsz, ulong Rss) Read(ulong mm, IEnumerable<KernelTask> sameMm)
    {
        var memory = _program.Memory;
        if (!memory.TryReadUInt64(mm + (ulong)_totalVm, out ulong vsz))
        {
            return (0, 0);
        }

        long rss = 0;
        foreach (int kind in RssKinds)
        {
            if (_percpuCount is int count && _percpuCounters is int counters)
            {
                ulong counter = mm + (ulong)_rssStat + (ulong)(kind * _percpuSize);
                if (memory.TryReadUInt64(counter + (ulong)count, out ulong c))
                {
                    rss += (long)c;
                }

                if (memory.TryReadUInt64(counter + (ulong)counters, out ulong perCpu) && perCpu != 0)
                {
                    for (int cpu = 0; cpu < _program.CpuCount; cpu++)
                    {
                        if (memory.TryReadUInt64(_program.PerCpuAddress(perCpu, cpu), out ulong delta))
                        {
                            rss += (int)(uint)delta;
                        }
                    }
                }
            }
            else if (memory.TryReadUInt64(mm + (ulong)_rssStat + (ulong)(kind * 8), out ulong c))
            {
                rss += (long)c;
            }
        }

        if (_taskRss is int taskRss && _percpuCount is null)
        {
            foreach (var t in sameMm)
            {
                foreach (int kind in RssKinds)
                {
                    if (memory.TryReadUInt64(t.Address + (ulong)taskRss + (ulong)(kind * 4), out ulong d))
                    {
                        rss += (int)(uint)d;
                    }
                }
            }
        }

        return (vsz, rss < 0 ? 0 : (ulong)rss);
    }

    // mm/page_alloc.c: _totalram_pages (atomic_long_t, v5.0 commit ca79b0c211af), totalram_pages before.
    private static ulong ReadTotalRam(IProgram program)
    {
        foreach (var name in new[] { "_totalram_pages", "totalram_pages" })
        {
            if (program.Symbols.TryGetAddress(name, out ulong at) && program.Memory.TryReadUInt64(at, out ulong pages))
            {
                return pages;
            }
        }

        return 0;
    }
}
