using Kdx.Core.Compression;
using Kdx.Core.Dumps.Flattened;
using Kdx.Core.IO;
using Kdx.Core.Memory;

namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// A makedumpfile compressed kdump ("KDUMP   ", header versions 0 to 6) or an older diskdump
/// ("DISKDUMP"): one file, a flattened file reassembled by <see cref="FlattenedSource"/>, or a
/// makedumpfile --split set of files that each hold the pages of one pfn range.
/// Opening reads the headers and notes only; the bitmaps' rank index is built on the first read.
/// </summary>
public sealed partial class KdumpCompressedDump : DumpFile
{
    private readonly KdumpPart[] _parts; // sorted by StartPfn
    private readonly KdumpPages[] _pages;
    private readonly KdumpPart _first;
    private IReadOnlyList<PhysicalRange>? _ranges;

    private KdumpCompressedDump(KdumpPart[] parts, DumpOpenOptions options)
        : base(parts[0].Name, options)
    {
        _parts = parts;
        _first = parts[0];
        _pages = parts.Select(p => new KdumpPages(p)).ToArray();
        Cpus = PrStatus.FromNotes(_first.Notes);
    }

    /// <summary>disk_dump_header of the (first) file.</summary>
    public DiskDumpHeader Header => _first.Header;

    /// <summary>kdump_sub_header of the (first) file.</summary>
    public KdumpSubHeader SubHeader => _first.SubHeader;

    /// <summary>The number of page frames the bitmaps describe (max_mapnr_64, or max_mapnr before version 6).</summary>
    public ulong MaxMapnr => _first.MaxMapnr;

    /// <summary>The dump level makedumpfile filtered with (-d), or null when the header does not say (version 0, diskdump).</summary>
    public int? DumpLevel => !Header.IsDiskDump && Header.HeaderVersion >= 1 ? SubHeader.DumpLevel : null;

    /// <summary>The compression method the header names (pages may still be stored uncompressed).</summary>
    public PageCompression Compression =>
        KdumpFormat.TryGetCompression(Header.Status & KdumpFormat.CompressionMask, out var kind) ? kind : PageCompression.None;

    /// <summary>Whether makedumpfile ran out of space and some pages were never written (DUMP_DH_COMPRESSED_INCOMPLETE).</summary>
    public bool IsIncomplete => (Header.Status & KdumpFlags.CompressedIncomplete) != 0;

    /// <summary>The files of a split set with their pfn ranges, in pfn order (one entry for a whole dump).</summary>
    public IReadOnlyList<KdumpSplitPart> SplitParts => _parts.Select(p => new KdumpSplitPart(p.Name, p.StartPfn, p.EndPfn, p.IsSplit)).ToList();

    /// <summary>The parsed files (for tests).</summary>
    internal IReadOnlyList<KdumpPart> Parts => _parts;

    /// <summary>How many pages have been decompressed so far (for tests of the page cache).</summary>
    internal long Decompressions => _pages.Sum(p => p.Decompressions);

    /// <inheritdoc/>
    public override IReadOnlyList<string> Files => _parts.Select(p => p.Name).ToList();

    /// <inheritdoc/>
    public override string FormatName
    {
        get
        {
            string name = Header.IsDiskDump ? "diskdump" : $"compressed kdump ({Compression.ToString().ToLowerInvariant()})";
            if (_first.Source is FlattenedSource)
            {
                name += ", flattened";
            }

            return _parts.Length > 1 ? $"{name}, split into {_parts.Length} files" : name;
        }
    }

    /// <inheritdoc/>
    public override DumpProducer Producer =>
        Header.IsDiskDump ? DumpProducer.Unknown :
        _first.Notes.Any(n => n.Name == "QEMU") ? DumpProducer.Qemu : DumpProducer.Makedumpfile;

    /// <inheritdoc/>
    public override int PageSize => Header.BlockSize;

    /// <inheritdoc/>
    public override VmcoreInfo? VmcoreInfo => _first.VmcoreInfo;

    /// <inheritdoc/>
    public override IReadOnlyList<ElfNote> Notes => _first.Notes;

    /// <inheritdoc/>
    public override IReadOnlyList<CpuState> Cpus { get; }

    /// <inheritdoc/>
    public override DumpUtsname? HeaderUtsname => Header.Utsname;

    /// <inheritdoc/>
    public override DateTimeOffset? CrashTime =>
        VmcoreInfo?.CrashTime ??
        (Header.TimestampSeconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(Header.TimestampSeconds).AddTicks(Math.Clamp(Header.TimestampMicroseconds, 0, 999_999) * 10) : null);

    /// <summary>
    /// Only the old diskdump recorded the dumping CPU; makedumpfile and QEMU leave current_cpu 0
    /// (makedumpfile.c: write_kdump_header never sets it), so a compressed kdump does not tell.
    /// </summary>
    public override int? PanicCpu => Header.IsDiskDump ? (int)Header.CurrentCpu : null;

    /// <inheritdoc/>
    public override IReadOnlyList<PhysicalRange> PhysicalRanges
    {
        get
        {
            if (_ranges == null)
            {
                // Clipped to the files' pfns: one file of a split set opened alone holds only its own range.
                ulong page = (ulong)PageSize, first = _parts[0].StartPfn, last = _parts[^1].EndPfn;
                _ranges = _first.Ram.Runs()
                    .Select(r => (Start: Math.Max(r.Start, first), End: Math.Min(r.End, last)))
                    .Where(r => r.Start < r.End)
                    .Select(r => new PhysicalRange(r.Start * page, r.End * page))
                    .ToList();
            }

            return _ranges;
        }
    }

    /// <summary>
    /// Opens one compressed kdump (or diskdump) file; the dump owns <paramref name="source"/> on success.
    /// Throws <see cref="DumpFormatException"/> naming the file, offset and problem when the headers are invalid.
    /// </summary>
    public static DumpFile Open(IByteSource source, DumpOpenOptions options) =>
        new KdumpCompressedDump([KdumpPart.Open(source, options.Limits)], options);

    /// <summary>
    /// Opens the files of a makedumpfile --split set as one dump (the dump owns the sources on success).
    /// Throws <see cref="DumpFormatException"/> when the files do not belong together or leave pfns uncovered.
    /// </summary>
    public static DumpFile OpenSplit(IReadOnlyList<IByteSource> sources, DumpOpenOptions options)
    {
        if (sources.Count == 1)
        {
            return Open(sources[0], options);
        }

        var parts = sources.Select(s => KdumpPart.Open(s, options.Limits)).ToArray();
        SplitSetCheck.Verify(parts);
        Array.Sort(parts, static (a, b) => a.StartPfn.CompareTo(b.StartPfn));
        return new KdumpCompressedDump(parts, options);
    }

    /// <inheritdoc/>
    public override PageState GetPageState(ulong pfn)
    {
        int part = PartOf(pfn);
        return part < 0 ? PageState.NotInDump : _parts[part].GetPageState(pfn);
    }

    /// <inheritdoc/>
    public override string? ExplainFailure(ulong address, ReadStatus status)
    {
        ulong pfn = address >> PageShift;
        int part = PartOf(pfn);
        return _pages[part < 0 ? 0 : part].Explain(pfn, status);
    }

    /// <inheritdoc/>
    protected override ReadStatus ReadPhysical(ulong address, Span<byte> destination, out int bytesRead)
    {
        bytesRead = 0;
        int pageSize = PageSize;
        while (!destination.IsEmpty)
        {
            ulong pfn = address >> PageShift;
            int offset = (int)(address & (ulong)(pageSize - 1));
            int n = Math.Min(destination.Length, pageSize - offset);
            int part = PartOf(pfn);
            var status = _pages[part < 0 ? 0 : part].Read(pfn, offset, destination[..n], Options.ZeroExcluded);
            if (status != ReadStatus.Ok)
            {
                return status;
            }

            bytesRead += n;
            address += (ulong)n;
            destination = destination[n..];
        }

        return ReadStatus.Ok;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var p in _parts)
            {
                p.Source.Dispose();
            }

            foreach (var p in _pages)
            {
                p.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private int PageShift => System.Numerics.BitOperations.TrailingZeroCount(PageSize);

    // The part that holds pfn's descriptor; -1 when none does (one file of a split set opened alone).
    private int PartOf(ulong pfn)
    {
        if (_parts.Length == 1)
        {
            return pfn >= _first.StartPfn && pfn < _first.EndPfn ? 0 : -1;
        }

        int lo = 0, hi = _parts.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (pfn < _parts[mid].StartPfn)
            {
                hi = mid - 1;
            }
            else if (pfn >= _parts[mid].EndPfn)
            {
                lo = mid + 1;
            }
            else
            {
                return mid;
            }
        }

        return -1;
    }
}

/// <summary>One file of a split dump set and the page frames whose contents it holds.</summary>
/// <param name="File">The file name.</param>
/// <param name="StartPfn">The first pfn (start_pfn_64).</param>
/// <param name="EndPfn">The pfn after the last (end_pfn_64).</param>
/// <param name="IsSplit">Whether the file's sub-header marks it as split (false for a whole dump).</param>
public sealed record KdumpSplitPart(string File, ulong StartPfn, ulong EndPfn, bool IsSplit);
