using Kdx.Core.Dumps;
using Kdx.Core.Elf;
using Kdx.Core.Memory;

namespace Kdx.Tests.Dumps.Kdump;

/// <summary>
/// A dump held in memory with ELF-like physical ranges (byte granular, so a range may end mid-page),
/// standing in for an ELF vmcore as a source of <see cref="Kdx.Core.Dumps.Kdump.KdumpWriter"/>.
/// </summary>
internal sealed class MemoryDump : DumpFile
{
    private readonly List<(PhysicalRange Range, byte[] Bytes)> _segments = [];
    private readonly List<ElfNote> _notes = [];

    public MemoryDump(string name = "memory.elf")
        : base(name, DumpOpenOptions.Default)
    {
    }

    public HashSet<ulong> ExcludedPfns { get; } = [];

    public HashSet<ulong> BrokenPfns { get; } = [];

    public override string FormatName => "memory";

    public override DumpProducer Producer => DumpProducer.KdumpElf;

    public override int PageSize => 4096;

    public override VmcoreInfo? VmcoreInfo => ElfNotes.FindVmcoreInfo(_notes);

    public override IReadOnlyList<ElfNote> Notes => _notes;

    public override IReadOnlyList<CpuState> Cpus => PrStatus.FromNotes(_notes);

    public override IReadOnlyList<PhysicalRange> PhysicalRanges => _segments.Select(s => s.Range).ToList();

    public MemoryDump AddSegment(ulong start, byte[] bytes)
    {
        _segments.Add((new PhysicalRange(start, start + (ulong)bytes.Length), bytes));
        _segments.Sort((a, b) => a.Range.Start.CompareTo(b.Range.Start));
        return this;
    }

    public MemoryDump AddNote(string name, uint type, byte[] desc)
    {
        _notes.Add(new ElfNote(name, type, desc, -1));
        return this;
    }

    public override PageState GetPageState(ulong pfn)
    {
        ulong a = pfn * 4096;
        if (!_segments.Any(s => s.Range.Start < a + 4096 && s.Range.End > a))
        {
            return PageState.NotInDump;
        }

        return ExcludedPfns.Contains(pfn) ? PageState.Excluded : PageState.Present;
    }

    public override DumpDescription Describe() => new("memory");

    protected override ReadStatus ReadPhysical(ulong address, Span<byte> destination, out int bytesRead)
    {
        bytesRead = 0;
        while (!destination.IsEmpty)
        {
            ulong pfn = address / 4096;
            if (ExcludedPfns.Contains(pfn))
            {
                return ReadStatus.Excluded;
            }

            if (BrokenPfns.Contains(pfn))
            {
                return ReadStatus.Corrupt;
            }

            var seg = _segments.FirstOrDefault(s => s.Range.Contains(address));
            if (seg.Bytes == null)
            {
                return ReadStatus.NotInDump;
            }

            ulong pageEnd = (pfn + 1) * 4096;
            int n = (int)Math.Min((ulong)destination.Length, Math.Min(seg.Range.End, pageEnd) - address);
            seg.Bytes.AsSpan((int)(address - seg.Range.Start), n).CopyTo(destination);
            bytesRead += n;
            address += (ulong)n;
            destination = destination[n..];
        }

        return ReadStatus.Ok;
    }
}
