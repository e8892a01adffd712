using Kdx.Core.Compression;

namespace Kdx.Core.Dumps.Kdump;

/// <summary>How <see cref="KdumpWriter"/> writes a compressed kdump.</summary>
public sealed record KdumpWriterOptions
{
    /// <summary>The page compression (pages that do not shrink are stored as they are, as makedumpfile does).</summary>
    public PageCompression Compression { get; init; } = PageCompression.Zlib;

    /// <summary>Dump level bit 1: store every all-zero page as one shared zero page.</summary>
    public bool ExcludeZeroPages { get; init; }

    /// <summary>Which page frames to keep (dump level bits 2/4/8/16); null keeps every page the source has.</summary>
    public IPageFilter? Filter { get; init; }

    /// <summary>
    /// The utsname for the header; null takes the source header's (when it names a release), else reads
    /// init_uts_ns from the dump as makedumpfile does, else names VMCOREINFO's OSRELEASE.
    /// </summary>
    public DumpUtsname? Utsname { get; init; }

    /// <summary>phys_base for the sub-header; null takes VMCOREINFO's NUMBER(phys_base), else the source's kdump sub-header, else 0.</summary>
    public ulong? PhysBase { get; init; }

    /// <summary>Write makedumpfile's flattened format (makedumpfile -F), which needs no seekable output.</summary>
    public bool Flattened { get; init; }

    /// <summary>Reports progress now and then.</summary>
    public IProgress<KdumpWriteProgress>? Progress { get; init; }

    /// <summary>
    /// Options for <c>kdx convert --compress CODEC -d LEVEL</c>: bit 1 of <paramref name="dumpLevel"/> is done
    /// by the writer; bits 2/4/8/16 need <paramref name="kernelFilter"/> (whose <see cref="IPageFilter.DumpLevel"/>
    /// must cover them). Throws <see cref="KdxException"/> when the level cannot be honoured.
    /// </summary>
    public static KdumpWriterOptions ForDumpLevel(int dumpLevel, PageCompression compression, IPageFilter? kernelFilter = null)
    {
        if (dumpLevel is < 0 or > DumpLevels.Max)
        {
            throw new KdxException($"invalid dump level {dumpLevel}: makedumpfile dump levels are 0 to {DumpLevels.Max}");
        }

        int needed = dumpLevel & DumpLevels.KernelAware;
        if (needed != 0 && (kernelFilter == null || (kernelFilter.DumpLevel & needed) != needed))
        {
            throw new KdxException($"dump level {dumpLevel} needs the kernel page classifier for bits {needed} (cache, user and free pages), which is not available; use dump level 0 or 1");
        }

        return new KdumpWriterOptions
        {
            Compression = compression,
            ExcludeZeroPages = (dumpLevel & DumpLevels.ExcludeZero) != 0,
            Filter = needed != 0 ? kernelFilter : null,
        };
    }
}

/// <summary>How far a write has got.</summary>
/// <param name="PagesDone">Pages written so far.</param>
/// <param name="PagesTotal">Pages to write.</param>
public readonly record struct KdumpWriteProgress(long PagesDone, long PagesTotal);

/// <summary>What <see cref="KdumpWriter"/> wrote.</summary>
public sealed record KdumpWriteResult
{
    /// <summary>max_mapnr of the new dump.</summary>
    public ulong MaxMapnr { get; init; }

    /// <summary>dump_level recorded in the new dump (the source's level combined with the new one).</summary>
    public int DumpLevel { get; init; }

    /// <summary>Pages whose contents are in the new dump (bits of the 2nd bitmap).</summary>
    public long DumpedPages { get; init; }

    /// <summary>Of those, pages stored as the shared zero page.</summary>
    public long ZeroPages { get; init; }

    /// <summary>Of those, pages stored compressed.</summary>
    public long CompressedPages { get; init; }

    /// <summary>Page frames the filter excluded.</summary>
    public long FilteredPages { get; init; }

    /// <summary>Page frames the source had excluded already (they stay excluded).</summary>
    public long SourceExcludedPages { get; init; }

    /// <summary>Page frames the source said it had but could not read (truncated, corrupt); they are marked excluded.</summary>
    public long UnreadablePages { get; init; }

    /// <summary>The first unreadable page's address and reason, for a warning.</summary>
    public string? FirstUnreadable { get; init; }

    /// <summary>The size of the written file (the reassembled size for a flattened stream).</summary>
    public long FileSize { get; init; }
}
