using System.Text;
using Kdx.Core.Elf;
using Kdx.Core.IO;

namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// One compressed kdump file, parsed and checked: the headers, the two bitmaps, the notes and
/// where the page descriptors start. A whole dump has one; a makedumpfile --split set has one per file,
/// each holding the descriptors of its own pfn range. Page lookups live in <see cref="KdumpPages"/>.
/// </summary>
internal sealed class KdumpPart
{
    // The file layout (makedumpfile IMPLEMENTATION, "The kdump-compressed format"):
    // block 0: disk_dump_header; block 1: kdump_sub_header then the ELF notes (sub_hdr_size blocks);
    // then bitmap_blocks blocks of bitmaps (1st: RAM, 2nd: dumped pages), block-aligned;
    // then one page_desc per set bit of the 2nd bitmap; then the page data.
    private KdumpPart(IByteSource source, DiskDumpHeader header, KdumpSubHeader subHeader)
    {
        Source = source;
        Header = header;
        SubHeader = subHeader;
    }

    /// <summary>The file.</summary>
    public IByteSource Source { get; }

    /// <summary>The file's name.</summary>
    public string Name => Source.Name;

    /// <summary>disk_dump_header.</summary>
    public DiskDumpHeader Header { get; }

    /// <summary>kdump_sub_header (all zero for diskdump and header version 0).</summary>
    public KdumpSubHeader SubHeader { get; }

    /// <summary>The number of page frames: max_mapnr_64 from version 6, else max_mapnr.</summary>
    public ulong MaxMapnr { get; private init; }

    /// <summary>Whether the sub-header marks this file as part of a split set.</summary>
    public bool IsSplit { get; private init; }

    /// <summary>The first pfn whose descriptor this file holds.</summary>
    public ulong StartPfn { get; private init; }

    /// <summary>The pfn after the last one whose descriptor this file holds.</summary>
    public ulong EndPfn { get; private init; }

    /// <summary>The file offset of the first page descriptor.</summary>
    public long DescriptorsOffset { get; private init; }

    /// <summary>The 1st bitmap: set for every page frame that is RAM.</summary>
    public required PfnBitmap Ram { get; init; }

    /// <summary>The 2nd bitmap: set for every page frame whose contents are in the dump.</summary>
    public required PfnBitmap Dumpable { get; init; }

    /// <summary>The ELF notes of the sub-header (version 4).</summary>
    public required IReadOnlyList<ElfNote> Notes { get; init; }

    /// <summary>VMCOREINFO, from offset_vmcoreinfo (version 3) or the notes.</summary>
    public VmcoreInfo? VmcoreInfo { get; init; }

    /// <summary>Reads and checks the headers of a compressed kdump. Touches no bitmap or page.</summary>
    public static KdumpPart Open(IByteSource source, ParseLimits limits)
    {
        string file = source.Name;
        long length = source.Length;
        Span<byte> head = stackalloc byte[KdumpFormat.HeaderSize];
        source.ReadExactly(0, head, "the disk_dump_header");
        var header = DiskDumpHeader.Parse(head);
        if (header.Signature is not (KdumpFormat.KdumpSignature or KdumpFormat.DiskDumpSignature))
        {
            throw new DumpFormatException(file, 0, $"not a compressed kdump: signature \"{Printable(head[..8])}\" is neither \"KDUMP   \" nor \"DISKDUMP\"");
        }

        int version = header.HeaderVersion;
        if (version < 0)
        {
            throw new DumpFormatException(file, 8, $"invalid header_version {version}");
        }

        int block = header.BlockSize;
        if (block < KdumpFormat.MinBlockSize || block > limits.MaxPageSize || (block & (block - 1)) != 0)
        {
            throw new DumpFormatException(file, 428, $"invalid block_size {block} (must be a power of two from {KdumpFormat.MinBlockSize} to {limits.MaxPageSize})");
        }

        if (header.NrCpus < 0 || header.NrCpus > limits.MaxCpus)
        {
            throw new DumpFormatException(file, 460, $"invalid nr_cpus {header.NrCpus} (limit {limits.MaxCpus})");
        }

        bool kdump = !header.IsDiskDump;
        int minSub = kdump && version >= 1 ? 1 : 0;
        if (header.SubHeaderBlocks < minSub)
        {
            throw new DumpFormatException(file, 432, $"invalid sub_hdr_size {header.SubHeaderBlocks} blocks");
        }

        long bitmapOffset = (1L + header.SubHeaderBlocks) * block;
        long bitmapBytes = (long)header.BitmapBlocks * block;
        if (header.BitmapBlocks == 0)
        {
            throw new DumpFormatException(file, 436, "bitmap_blocks is 0: the dump has no page bitmap");
        }

        if (bitmapOffset > length || bitmapBytes > length - bitmapOffset)
        {
            throw DumpFormatException.Truncated(file, length, $"the page bitmaps ({header.BitmapBlocks} blocks at offset {bitmapOffset})");
        }

        var sub = new KdumpSubHeader();
        if (kdump && version >= 1)
        {
            Span<byte> sb = stackalloc byte[KdumpFormat.SubHeaderSize];
            source.ReadExactly(block, sb, "the kdump_sub_header");
            sub = KdumpSubHeader.Parse(sb, version);
        }

        ulong maxMapnr = kdump && version >= 6 ? sub.MaxMapnr64 : header.MaxMapnr;
        if (maxMapnr > limits.MaxPfn)
        {
            throw new DumpFormatException(file, version >= 6 ? block + 96 : 440, $"max_mapnr {maxMapnr} is beyond the limit of {limits.MaxPfn} page frames");
        }

        // Two bitmaps when there is room for two (crash diskdump.c: dump_is_partial); else one for both.
        ulong bytesPerBitmap = (((maxMapnr + 7) / 8) + (ulong)block - 1) / (ulong)block * (ulong)block;
        bool two = (ulong)bitmapBytes >= 2 * bytesPerBitmap;
        long oneLength = two ? bitmapBytes / 2 : bitmapBytes;
        if ((ulong)oneLength * 8 < maxMapnr)
        {
            throw new DumpFormatException(file, 436, $"bitmap_blocks {header.BitmapBlocks} is too small for max_mapnr {maxMapnr}: {oneLength * 8} bits for {maxMapnr} page frames");
        }

        bool split = kdump && version >= 2 && sub.Split != 0;
        ulong start = 0, end = maxMapnr;
        if (split)
        {
            start = version >= 6 ? sub.StartPfn64 : sub.StartPfn;
            end = version >= 6 ? sub.EndPfn64 : sub.EndPfn;
            if (start > end || end > maxMapnr)
            {
                throw new DumpFormatException(file, block + (version >= 6 ? 80 : 16), $"invalid split range: start_pfn {start}, end_pfn {end}, max_mapnr {maxMapnr}");
            }
        }

        var ram = new PfnBitmap(source, bitmapOffset, maxMapnr);
        var dumpable = two ? new PfnBitmap(source, bitmapOffset + oneLength, maxMapnr) : ram;
        CheckCopyable(file, ram);
        var notes = ReadNotes(source, sub, version, limits);
        return new KdumpPart(source, header, sub)
        {
            MaxMapnr = maxMapnr,
            IsSplit = split,
            StartPfn = start,
            EndPfn = end,
            DescriptorsOffset = bitmapOffset + bitmapBytes,
            Ram = ram,
            Dumpable = dumpable,
            Notes = notes,
            VmcoreInfo = ReadVmcoreInfo(source, sub, version, limits) ?? ElfNotes.FindVmcoreInfo(notes),
        };
    }

    /// <summary>The state of a page frame as this file records it (ignoring the split range).</summary>
    public PageState GetPageState(ulong pfn) =>
        pfn >= MaxMapnr || !Ram.Test(pfn) ? PageState.NotInDump :
        Dumpable.Test(pfn) ? PageState.Present : PageState.Excluded;

    private static void CheckCopyable(string file, PfnBitmap bitmap)
    {
        // A bitmap that cannot be read in place (a flattened file) is copied; keep that copy sane.
        if (bitmap.WordCount > 1 << 28)
        {
            throw new DumpFormatException(file, $"page bitmap of {bitmap.WordCount * 8} bytes is too large to load");
        }
    }

    private static List<ElfNote> ReadNotes(IByteSource source, KdumpSubHeader sub, int version, ParseLimits limits)
    {
        var notes = new List<ElfNote>();
        if (version < 4 || sub.OffsetNote == 0 || sub.SizeNote == 0)
        {
            return notes;
        }

        long offset = sub.OffsetNote;
        if (sub.SizeNote > (ulong)limits.MaxNoteBytes)
        {
            throw new DumpFormatException(source.Name, offset, $"size_note {sub.SizeNote} is beyond the limit of {limits.MaxNoteBytes} bytes");
        }

        if (offset < 0)
        {
            throw new DumpFormatException(source.Name, $"invalid offset_note {offset}");
        }

        var block = source.ReadBytes(offset, (int)sub.SizeNote, "the ELF notes of the kdump sub-header");
        ElfNotes.Parse(block, source.Name, offset, limits, notes);
        return notes;
    }

    private static VmcoreInfo? ReadVmcoreInfo(IByteSource source, KdumpSubHeader sub, int version, ParseLimits limits)
    {
        if (version < 3 || sub.OffsetVmcoreinfo == 0 || sub.SizeVmcoreinfo == 0)
        {
            return null;
        }

        long offset = sub.OffsetVmcoreinfo;
        if (sub.SizeVmcoreinfo > (ulong)limits.MaxVmcoreInfoBytes || offset < 0)
        {
            throw new DumpFormatException(source.Name, offset, $"invalid VMCOREINFO: offset_vmcoreinfo {offset}, size_vmcoreinfo {sub.SizeVmcoreinfo} (limit {limits.MaxVmcoreInfoBytes} bytes)");
        }

        var text = source.ReadBytes(offset, (int)sub.SizeVmcoreinfo, "VMCOREINFO");
        return VmcoreInfo.Parse(Encoding.Latin1.GetString(text));
    }

    private static string Printable(ReadOnlySpan<byte> b)
    {
        var sb = new StringBuilder();
        foreach (byte c in b)
        {
            sb.Append(c is >= 0x20 and < 0x7f ? (char)c : '.');
        }

        return sb.ToString();
    }
}
