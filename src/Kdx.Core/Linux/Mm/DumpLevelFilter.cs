using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Mm;

/// <summary>
/// The kernel-aware part of makedumpfile's dump levels (2 cache, 4 cache with private data, 8 user data,
/// 16 free pages) as an <see cref="IPageFilter"/> for <see cref="KdumpWriter"/>: it walks the kernel's
/// mem_map in blocks of 4096 struct pages (256 KiB, one read each) as the writer asks about page frames
/// in increasing order, and classifies each frame with <see cref="PageClassifier"/>.
/// A frame whose struct page cannot be read, or that has none, is kept.
/// </summary>
public sealed class DumpLevelFilter : IPageFilter
{
    private const int ChunkShift = 12;
    private const int ChunkPages = 1 << ChunkShift;

    private readonly IMemoryReader _kernel;
    private readonly MemMap _map;
    private readonly PageClassifier _classifier;
    private readonly int _pageSize;
    private readonly byte[] _structPages;
    private readonly bool[] _readable = new bool[ChunkPages + 1];
    private readonly bool[] _mapped = new bool[ChunkPages + 1];
    private readonly PageClass[] _classes = new PageClass[ChunkPages];
    private readonly List<PageRun> _pending = []; // blocks that started in an earlier chunk and go on past it
    private readonly long[] _counts = new long[Enum.GetValues<PageClass>().Length];
    private ulong _chunk = ulong.MaxValue;

    /// <summary>Creates a filter over kernel virtual memory <paramref name="kernel"/> with a known layout and mem_map.</summary>
    public DumpLevelFilter(IMemoryReader kernel, StructPageLayout layout, MemMap map, int dumpLevel, int pageSize = 4096)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(map);
        if (map.StructPageSize != layout.Size)
        {
            throw new ArgumentException("the mem_map and the layout disagree on SIZE(page)", nameof(map));
        }

        _kernel = kernel;
        _map = map;
        _pageSize = pageSize;
        _classifier = new PageClassifier(layout, dumpLevel);
        _structPages = new byte[(ChunkPages + 1) * layout.Size];
    }

    /// <inheritdoc/>
    public int DumpLevel => _classifier.DumpLevel;

    /// <summary>The struct page layout in use.</summary>
    public StructPageLayout Layout => _classifier.Layout;

    /// <summary>The mem_map in use.</summary>
    public MemMap MemMap => _map;

    /// <summary>How many of the page frames asked about (<see cref="Keep"/>) fell into each class.</summary>
    public DumpLevelCounts Counts => new(_counts);

    /// <summary>
    /// Builds the filter for <paramref name="dumpLevel"/> from the program's VMCOREINFO and kernel memory.
    /// Throws <see cref="KdxException"/> naming the VMCOREINFO entries the level needs and the dump lacks.
    /// </summary>
    public static DumpLevelFilter Create(KernelProgram program, int dumpLevel)
    {
        ArgumentNullException.ThrowIfNull(program);
        var info = program.VmcoreInfo
            ?? throw new KdxException($"{program.Dump.Path}: has no VMCOREINFO: dump level {dumpLevel} needs the kernel's struct page layout");
        var layout = StructPageLayout.FromVmcoreInfo(info);
        var missing = layout.Missing(dumpLevel);
        if (missing.Count > 0)
        {
            throw new KdxException($"dump level {dumpLevel} cannot be honoured: VMCOREINFO lacks {string.Join(", ", missing)}");
        }

        ulong endPfn = 0;
        foreach (var r in program.Dump.PhysicalRanges)
        {
            endPfn = Math.Max(endPfn, (r.End + (ulong)program.PageSize - 1) / (ulong)program.PageSize);
        }

        var map = MemMap.Read(program.Kernel, info, program.PageSize, endPfn);
        return new DumpLevelFilter(program.Kernel, layout, map, dumpLevel, program.PageSize);
    }

    /// <inheritdoc/>
    public bool Keep(ulong pfn)
    {
        var cls = Classify(pfn);
        _counts[(int)cls]++;
        return cls is PageClass.Kept or PageClass.Unreadable or PageClass.NoStructPage;
    }

    /// <summary>The class of page frame <paramref name="pfn"/> (fastest when asked in increasing order).</summary>
    public PageClass Classify(ulong pfn)
    {
        ulong chunk = pfn >> ChunkShift;
        if (chunk != _chunk)
        {
            Load(chunk);
        }

        return _classes[(int)(pfn & (ChunkPages - 1))];
    }

    private void Load(ulong chunk)
    {
        ulong first = chunk << ChunkShift;
        ReadStructPages(first);
        var carry = _classifier.Classify(first, _structPages, _readable, _classes);
        for (int i = 0; i < ChunkPages; i++)
        {
            if (!_mapped[i])
            {
                _classes[i] = PageClass.NoStructPage;
            }
        }

        // Blocks begun in earlier chunks (a gigantic compound page) decide for their frames here.
        _pending.RemoveAll(r => r.End <= first);
        foreach (var r in _pending)
        {
            ulong from = Math.Max(r.Start, first), to = Math.Min(r.End, first + ChunkPages);
            if (from < to)
            {
                _classes.AsSpan((int)(from - first), (int)(to - from)).Fill(r.Class);
            }
        }

        if (!carry.IsEmpty)
        {
            _pending.Add(carry);
        }

        _chunk = chunk;
    }

    // Reads the struct pages of frames first … first + ChunkPages (one extra), section by section; a part that
    // cannot be read (a hole in the vmemmap, an excluded page) is marked unreadable a page at a time.
    private void ReadStructPages(ulong first)
    {
        int size = _map.StructPageSize;
        int total = ChunkPages + 1;
        Array.Clear(_readable);
        Array.Clear(_mapped);
        for (int i = 0; i < total;)
        {
            ulong pfn = first + (ulong)i;
            int run = (int)Math.Min((ulong)(total - i), _map.ContiguousFrom(pfn));
            if (_map.TryGetStructPage(pfn, out ulong address))
            {
                _mapped.AsSpan(i, run).Fill(true);
                ReadRun(address, _structPages.AsSpan(i * size, run * size), _readable.AsSpan(i, run), size);
            }

            i += run;
        }
    }

    private void ReadRun(ulong address, Span<byte> destination, Span<bool> readable, int size)
    {
        readable.Fill(true);
        int done = 0;
        while (done < destination.Length)
        {
            if (_kernel.Read(address + (ulong)done, destination[done..], out int n) == ReadStatus.Ok)
            {
                return;
            }

            int failed = done + n;
            ulong at = address + (ulong)failed;
            int skip = (int)Math.Min((ulong)(destination.Length - failed), (ulong)_pageSize - (at % (ulong)_pageSize));
            destination.Slice(failed, skip).Clear();
            for (int k = failed / size; k < readable.Length && k * size < failed + skip; k++)
            {
                readable[k] = false;
            }

            done = failed + skip;
        }
    }
}

/// <summary>How many page frames fell into each <see cref="PageClass"/>.</summary>
public sealed class DumpLevelCounts
{
    private readonly long[] _counts;

    internal DumpLevelCounts(long[] counts) => _counts = (long[])counts.Clone();

    /// <summary>The count of one class.</summary>
    public long this[PageClass cls] => _counts[(int)cls];

    /// <summary>Frames the filter dropped.</summary>
    public long Excluded => _counts.Sum() - this[PageClass.Kept] - this[PageClass.Unreadable] - this[PageClass.NoStructPage];
}
