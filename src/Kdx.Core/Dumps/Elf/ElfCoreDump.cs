using Kdx.Core.Elf;
using Kdx.Core.IO;
using Kdx.Core.Memory;

namespace Kdx.Core.Dumps.Elf;

/// <summary>
/// An ELF core dump: a copy of the kernel's /proc/vmcore, makedumpfile's filtered ELF (<c>-E</c>), or
/// QEMU's <c>dump-guest-memory</c> ELF (paging on or off). Physical memory comes from the PT_LOAD
/// segments by p_paddr; the notes give the registers (NT_PRSTATUS, QEMU's CPU state) and VMCOREINFO.
/// Opening reads only the headers and notes; a file cut short still opens, and reads past its end
/// report <see cref="ReadStatus.Truncated"/>.
/// </summary>
public sealed partial class ElfCoreDump : DumpFile
{
    private readonly ElfFile _elf;
    private readonly IByteSource _source;
    private readonly ElfPhysicalMap _map;
    private readonly ElfProgramHeader[] _loads;
    private readonly PhysicalRange[] _ranges;
    private readonly VirtualMapping[] _mappings;
    private readonly List<ElfNote> _notes;
    private readonly List<CpuState> _cpus;
    private readonly int _pageSize;

    private ElfCoreDump(ElfFile elf, DumpOpenOptions options, List<ElfNote> notes)
        : base(elf.Name, options)
    {
        _elf = elf;
        _source = elf.Source;
        _notes = notes;
        _loads = [.. elf.ProgramHeaders.Where(p => p.IsLoad)];
        VmcoreInfo = ReadVmcoreInfo(elf, notes, options.Limits);
        Producer = DetectProducer(elf, notes, _loads);
        _pageSize = PageSizeOf(VmcoreInfo, options.Limits);
        _map = ElfPhysicalMap.Build(_loads, pastFileSizeIsExcluded: Producer != DumpProducer.Qemu);
        _ranges = MergeRanges(_map);
        _cpus = CpusOf(notes, Producer, options.Limits, elf.Name);
        _mappings = VirtualMappingsOf(_loads, QemuAddressBits(Producer, _cpus));
        TruncatedAt = FindTruncation(_loads, _source.Length);
    }

    /// <summary>The ELF headers of the dump (file header, program headers, section 0 of QEMU dumps).</summary>
    public ElfFile Elf => _elf;

    /// <inheritdoc/>
    public override string FormatName => Producer switch
    {
        DumpProducer.KdumpElf => "ELF (kdump /proc/vmcore)",
        DumpProducer.Makedumpfile => "ELF (makedumpfile -E)",
        DumpProducer.Qemu => "ELF (QEMU dump-guest-memory)",
        _ => "ELF core",
    };

    /// <inheritdoc/>
    public override DumpProducer Producer { get; }

    /// <inheritdoc/>
    public override int PageSize => _pageSize;

    /// <inheritdoc/>
    public override VmcoreInfo? VmcoreInfo { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<ElfNote> Notes => _notes;

    /// <inheritdoc/>
    public override IReadOnlyList<CpuState> Cpus => _cpus;

    /// <inheritdoc/>
    public override IReadOnlyList<PhysicalRange> PhysicalRanges => _ranges;

    /// <inheritdoc/>
    public override IReadOnlyList<VirtualMapping> VirtualMappings => _mappings;

    /// <summary>The PT_LOAD program headers in file order.</summary>
    public IReadOnlyList<ElfProgramHeader> LoadSegments => _loads;

    /// <summary>The file length when the file ends inside a PT_LOAD's data (a cut-short copy), else null.</summary>
    public long? TruncatedAt { get; }

    /// <summary>
    /// Opens an ELF core dump. The dump owns <paramref name="source"/> on success. Throws
    /// <see cref="DumpFormatException"/> naming the file and offset when the headers or notes are corrupt.
    /// </summary>
    public static DumpFile Open(IByteSource source, DumpOpenOptions options)
    {
        var elf = ElfFile.Read(source, options.Limits, ownsSource: false);
        CheckHeader(elf);
        var notes = elf.ReadSegmentNotes();
        return new ElfCoreDump(elf, options, notes);
    }

    /// <inheritdoc/>
    public override PageState GetPageState(ulong pfn)
    {
        ulong size = (ulong)_pageSize;
        if (pfn > Options.Limits.MaxPfn || pfn > ulong.MaxValue / size)
        {
            return PageState.NotInDump;
        }

        // The piece that holds the page's first byte, or else the first piece that starts inside the page.
        ulong address = pfn * size;
        int i = _map.FindFirstEndingAfter(address);
        if (i >= _map.Count || (_map.Start(i) > address && _map.Start(i) - address >= size))
        {
            return PageState.NotInDump;
        }

        if (_map.Kind(i) == PieceKind.Excluded)
        {
            return PageState.Excluded;
        }

        ulong first = Math.Max(address, _map.Start(i));
        long offset = _map.FileOffset(i) + (long)(first - _map.Start(i));
        return offset < _source.Length ? PageState.Present : PageState.NotInDump;
    }

    /// <inheritdoc/>
    public override string? ExplainFailure(ulong address, ReadStatus status)
    {
        int i = _map.Find(address);
        if (i < 0)
        {
            return status == ReadStatus.NotInDump ? "no PT_LOAD segment of the ELF dump covers it" : null;
        }

        var ph = _elf.ProgramHeaders[_map.Segment(i)];
        return status switch
        {
            ReadStatus.Truncated => $"file truncated at offset {_source.Length} (segment {ph.Index} needs bytes up to {ph.Offset + ph.FileSize})",
            ReadStatus.Excluded => $"excluded from the ELF dump: past p_filesz of segment {ph.Index} (p_paddr {ph.PhysicalAddress:x}, p_filesz {ph.FileSize:x}, p_memsz {ph.MemorySize:x})",
            _ => null,
        };
    }

    /// <inheritdoc/>
    protected override ReadStatus ReadPhysical(ulong address, Span<byte> destination, out int bytesRead)
    {
        bytesRead = 0;
        while (!destination.IsEmpty)
        {
            int i = _map.Find(address);
            if (i < 0)
            {
                return ReadStatus.NotInDump;
            }

            if (_map.Kind(i) == PieceKind.Excluded)
            {
                return ReadStatus.Excluded;
            }

            int n = (int)Math.Min((ulong)destination.Length, _map.End(i) - address);
            long offset = _map.FileOffset(i) + (long)(address - _map.Start(i));
            int got = offset < _source.Length ? _source.Read(offset, destination[..n]) : 0;
            bytesRead += got;
            if (got < n)
            {
                return ReadStatus.Truncated;
            }

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
            _elf.Dispose();
            _source.Dispose();
        }

        base.Dispose(disposing);
    }

    private static void CheckHeader(ElfFile elf)
    {
        var h = elf.Header;
        if (h.Type != ElfConstants.EtCore)
        {
            throw new DumpFormatException(elf.Name, 16, $"not an ELF core file (e_type {h.Type}, expected 4 = ET_CORE)");
        }

        if (h.Machine != ElfConstants.EmX86_64)
        {
            throw new DumpFormatException(elf.Name, 18, $"ELF machine {h.Machine} is not supported (only x86_64, e_machine 62)");
        }

        bool anyLoad = false;
        foreach (var ph in elf.ProgramHeaders)
        {
            if (!ph.IsLoad)
            {
                continue;
            }

            anyLoad = true;
            long at = (long)h.ProgramHeaderOffset + ((long)ph.Index * h.ProgramHeaderEntrySize);
            if (ph.FileSize > ph.MemorySize)
            {
                throw new DumpFormatException(elf.Name, at, $"program header {ph.Index}: p_filesz {ph.FileSize:x} is larger than p_memsz {ph.MemorySize:x}");
            }

            if (ph.Offset > long.MaxValue || ph.FileSize > long.MaxValue - ph.Offset)
            {
                throw new DumpFormatException(elf.Name, at, $"program header {ph.Index}: p_offset {ph.Offset:x} + p_filesz {ph.FileSize:x} is beyond any file");
            }

            if (ph.MemorySize > ulong.MaxValue - ph.PhysicalAddress)
            {
                throw new DumpFormatException(elf.Name, at, $"program header {ph.Index}: p_paddr {ph.PhysicalAddress:x} + p_memsz {ph.MemorySize:x} overflows the physical address space");
            }
        }

        if (!anyLoad)
        {
            throw new DumpFormatException(elf.Name, (long)Math.Min(h.ProgramHeaderOffset, long.MaxValue), "the ELF core file has no PT_LOAD segment: it holds no memory");
        }
    }

    private static int? QemuAddressBits(DumpProducer producer, List<CpuState> cpus)
    {
        if (producer != DumpProducer.Qemu)
        {
            return null;
        }

        const ulong cr4La57 = 1UL << 12;
        var qemu = cpus.FirstOrDefault(c => c.Qemu is not null)?.Qemu;
        return qemu is not null && (qemu.Cr4 & cr4La57) != 0 ? 57 : 48;
    }

    private static long? FindTruncation(ElfProgramHeader[] loads, long length)
    {
        foreach (var ph in loads)
        {
            if (ph.FileSize > 0 && ph.Offset + ph.FileSize > (ulong)length)
            {
                return length;
            }
        }

        return null;
    }

    private static PhysicalRange[] MergeRanges(ElfPhysicalMap map)
    {
        var ranges = new List<PhysicalRange>();
        for (int i = 0; i < map.Count; i++)
        {
            if (ranges.Count > 0 && ranges[^1].End == map.Start(i))
            {
                ranges[^1] = ranges[^1] with { End = map.End(i) };
            }
            else
            {
                ranges.Add(new PhysicalRange(map.Start(i), map.End(i)));
            }
        }

        return [.. ranges];
    }

    /// <summary>
    /// The PT_LOADs that state a virtual address. p_vaddr 0 or all ones means none; p_vaddr equal to
    /// p_paddr is how QEMU's paging=false dumps say none (QEMU commit e17bebd049d7, "dump: Set correct
    /// vaddr for ELF dump", 2019). QEMU's page-table walk puts
    /// 0xffff (5-level: 0xfe) above every address, lower half included (QEMU
    /// target/i386/arch_memory_mapping.c x86_cpu_get_memory_mapping), so its addresses are sign-extended
    /// again from bit 47 (bit 56 when CR4.LA57 is set).
    /// </summary>
    private static VirtualMapping[] VirtualMappingsOf(ElfProgramHeader[] loads, int? qemuAddressBits)
    {
        var mappings = new List<VirtualMapping>();
        foreach (var ph in loads)
        {
            ulong v = ph.VirtualAddress;
            if (v == 0 || v == ulong.MaxValue || v == ph.PhysicalAddress || ph.MemorySize == 0)
            {
                continue;
            }

            if (qemuAddressBits is { } bits)
            {
                int shift = 64 - bits;
                v = (ulong)((long)(v << shift) >> shift);
            }

            mappings.Add(new VirtualMapping(v, ph.PhysicalAddress, ph.MemorySize));
        }

        mappings.Sort((a, b) => a.VirtualStart.CompareTo(b.VirtualStart));
        return [.. mappings];
    }
}
