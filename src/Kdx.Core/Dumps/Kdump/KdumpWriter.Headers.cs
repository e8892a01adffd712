using System.Buffers.Binary;
using System.Text;
using Kdx.Core.Elf;
using Kdx.Core.Memory;

namespace Kdx.Core.Dumps.Kdump;

/// <content>The header, sub-header and ELF notes of the new dump.</content>
public static partial class KdumpWriter
{
    // arch/x86/include/asm/page_64_types.h: __START_KERNEL_map, the base of the kernel image mapping.
    private const ulong StartKernelMap = 0xffffffff80000000;
    private const int UtsnameSize = 6 * 65;

    private static HeaderBlocks BuildHeaders(DumpFile source, KdumpWriterOptions options, PagePlan plan)
    {
        int block = source.PageSize;
        var kdump = source as KdumpCompressedDump;
        var notes = SerializeNotes(source, out long vmcoreinfoAt, out long vmcoreinfoSize);
        int subBlocks = (int)((KdumpFormat.SubHeaderSize + notes.Length + block - 1) / block);

        // makedumpfile.c prepare_bitmap2_buffer: each bitmap rounded up to whole blocks, two of them.
        ulong bitmapBytes = (plan.MaxMapnr + 7) / 8;
        uint bitmapBlocks = (uint)((bitmapBytes + (ulong)block - 1) / (ulong)block * 2);
        if (bitmapBlocks == 0)
        {
            bitmapBlocks = 2;
        }

        int dumpLevel = (kdump?.DumpLevel ?? 0) | (options.Filter?.DumpLevel ?? 0) | (options.ExcludeZeroPages ? DumpLevels.ExcludeZero : 0);
        // QEMU leaves the timestamp 0 and the utsname nearly empty: fall back to VMCOREINFO and memory.
        long seconds = kdump?.Header.TimestampSeconds is > 0 and var t ? t : source.VmcoreInfo?.CrashTime?.ToUnixTimeSeconds() ?? 0;
        var sourceUts = source.HeaderUtsname;
        var header = new DiskDumpHeader
        {
            Signature = KdumpFormat.KdumpSignature,
            HeaderVersion = KdumpFormat.CurrentHeaderVersion,
            Utsname = options.Utsname
                ?? (sourceUts is { Release.Length: > 0 } ? sourceUts : null)
                ?? UtsnameFromMemory(source)
                ?? sourceUts
                ?? FallbackUtsname(source),
            TimestampSeconds = seconds,
            TimestampMicroseconds = kdump?.Header.TimestampSeconds > 0 ? kdump.Header.TimestampMicroseconds : 0,
            Status = KdumpFormat.FlagOf(options.Compression) | (kdump?.Header.Status & KdumpFlags.ExcludedVmemmap ?? KdumpFlags.None),
            BlockSize = block,
            SubHeaderBlocks = subBlocks,
            BitmapBlocks = bitmapBlocks,
            MaxMapnr = (uint)Math.Min(plan.MaxMapnr, uint.MaxValue),
            NrCpus = kdump?.Header.NrCpus ?? Math.Max(1, source.Cpus.Count),
        };

        long noteAt = block + KdumpFormat.SubHeaderSize;
        var sub = new KdumpSubHeader
        {
            // VMCOREINFO first: QEMU 7.2 writes a wrong phys_base (it parses the decimal NUMBER(phys_base) as hex).
            PhysBase = options.PhysBase ?? (ulong?)source.VmcoreInfo?.Number("phys_base") ?? kdump?.SubHeader.PhysBase ?? 0,
            DumpLevel = dumpLevel,
            OffsetVmcoreinfo = vmcoreinfoSize > 0 ? noteAt + vmcoreinfoAt : 0,
            SizeVmcoreinfo = (ulong)vmcoreinfoSize,
            OffsetNote = notes.Length > 0 ? noteAt : 0,
            SizeNote = (ulong)notes.Length,
            MaxMapnr64 = plan.MaxMapnr,
        };

        var h = new byte[KdumpFormat.HeaderSize];
        header.Write(h);
        var s = new byte[KdumpFormat.SubHeaderSize + notes.Length];
        sub.Write(s);
        notes.CopyTo(s, KdumpFormat.SubHeaderSize);
        return new HeaderBlocks(h, s, subBlocks, bitmapBlocks, dumpLevel);
    }

    // The source's notes as an ELF note block (Elf64_Nhdr, name and descriptor padded to 4 bytes), with
    // VMCOREINFO added when the source has it only outside its notes. Returns where VMCOREINFO's text is.
    private static byte[] SerializeNotes(DumpFile source, out long vmcoreinfoAt, out long vmcoreinfoSize)
    {
        var notes = source.Notes.ToList();
        if (source.VmcoreInfo is { } info && !notes.Any(n => n.Name == "VMCOREINFO"))
        {
            notes.Add(new ElfNote("VMCOREINFO", ElfNotes.NtVmcoreInfo, Encoding.Latin1.GetBytes(info.Text), -1));
        }

        using var block = new MemoryStream();
        vmcoreinfoAt = 0;
        vmcoreinfoSize = 0;
        Span<byte> nhdr = stackalloc byte[12];
        foreach (var n in notes)
        {
            var name = Encoding.ASCII.GetBytes(n.Name + "\0");
            BinaryPrimitives.WriteUInt32LittleEndian(nhdr, (uint)name.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(nhdr[4..], (uint)n.Descriptor.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(nhdr[8..], n.Type);
            block.Write(nhdr);
            block.Write(name);
            Pad4(block);
            if (n.Name == "VMCOREINFO" && vmcoreinfoSize == 0)
            {
                vmcoreinfoAt = block.Position;
                vmcoreinfoSize = n.Descriptor.Length;
            }

            block.Write(n.Descriptor.Span);
            Pad4(block);
        }

        return block.ToArray();
    }

    private static void Pad4(MemoryStream s)
    {
        while ((s.Position & 3) != 0)
        {
            s.WriteByte(0);
        }
    }

    // makedumpfile reads the utsname at SYMBOL(init_uts_ns) + OFFSET(uts_namespace.name); the symbol is in
    // the kernel image mapping, so its physical address is vaddr - __START_KERNEL_map + phys_base (x86_64 __pa_symbol).
    private static DumpUtsname? UtsnameFromMemory(DumpFile source)
    {
        var info = source.VmcoreInfo;
        ulong? symbol = info?.Symbol("init_uts_ns");
        long? offset = info?.Offset("uts_namespace.name");
        long? physBase = info?.Number("phys_base");
        if (symbol is not { } vaddr || offset is not { } off || physBase is not { } pb || vaddr < StartKernelMap)
        {
            return null;
        }

        var raw = new byte[UtsnameSize];
        ulong paddr = vaddr + (ulong)off - StartKernelMap + (ulong)pb;
        if (source.Read(paddr, raw, out _) != ReadStatus.Ok)
        {
            return null;
        }

        var header = new byte[KdumpFormat.HeaderSize];
        raw.CopyTo(header, 12); // reuse the header decoder for the six strings
        var uts = DiskDumpHeader.Parse(header).Utsname;
        return uts.Sysname.Length > 0 ? uts : null;
    }

    private static DumpUtsname FallbackUtsname(DumpFile source) =>
        new("Linux", string.Empty, source.VmcoreInfo?.OsRelease ?? string.Empty, string.Empty, "x86_64", string.Empty);

    private sealed record HeaderBlocks(byte[] Header, byte[] SubHeaderAndNotes, int SubHeaderBlocks, uint BitmapBlocks, int DumpLevel);
}
