using System.Buffers.Binary;
using Kdx.Core.Dumps;
using Kdx.Core.Memory;

namespace Kdx.Tests.Arch.X86_64;

/// <summary>
/// An in-memory "physical memory" dump: sparse 4 KiB pages, some excluded, the rest not in the dump.
/// Pages inside <see cref="PhysicalRanges"/> that were never written read as zeros (present).
/// </summary>
internal sealed class SyntheticDump : DumpFile
{
    private const int Page = 4096;
    private readonly Dictionary<ulong, byte[]> _pages = [];
    private readonly HashSet<ulong> _excluded = [];
    private readonly HashSet<ulong> _missing = [];

    public SyntheticDump(ulong physicalEnd = 256UL << 20, DumpOpenOptions? options = null)
        : base("synthetic", options ?? DumpOpenOptions.Default)
    {
        PhysicalRanges = [new PhysicalRange(0, physicalEnd)];
    }

    public override string FormatName => "synthetic";

    public override DumpProducer Producer => DumpProducer.Unknown;

    public override int PageSize => Page;

    public VmcoreInfo? Info { get; set; }

    public override VmcoreInfo? VmcoreInfo => Info;

    public override IReadOnlyList<ElfNote> Notes => [];

    public List<CpuState> CpuList { get; } = [];

    public override IReadOnlyList<CpuState> Cpus => CpuList;

    public override IReadOnlyList<PhysicalRange> PhysicalRanges { get; }

    public List<VirtualMapping> Mappings { get; } = [];

    public override IReadOnlyList<VirtualMapping> VirtualMappings => Mappings;

    /// <summary>How many 8-byte-or-larger reads reached this dump (to see the fast paths skip walks).</summary>
    public int ReadCount { get; private set; }

    public void Write(ulong address, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            ulong pfn = address / Page;
            int offset = (int)(address % Page);
            int n = Math.Min(data.Length, Page - offset);
            if (!_pages.TryGetValue(pfn, out var page))
            {
                _pages[pfn] = page = new byte[Page];
            }

            data[..n].CopyTo(page.AsSpan(offset));
            data = data[n..];
            address += (ulong)n;
        }
    }

    public void WriteUInt64(ulong address, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        Write(address, b);
    }

    public void Exclude(ulong address) => _excluded.Add(address / Page);

    public void Remove(ulong address) => _missing.Add(address / Page);

    public override PageState GetPageState(ulong pfn)
    {
        if (_excluded.Contains(pfn))
        {
            return PageState.Excluded;
        }

        ulong a = pfn * Page;
        return _missing.Contains(pfn) || !PhysicalRanges.Any(r => r.Contains(a)) ? PageState.NotInDump : PageState.Present;
    }

    public override string? ExplainFailure(ulong address, ReadStatus status) => $"synthetic pfn {address / Page:x}";

    public override DumpDescription Describe() => new("synthetic");

    protected override ReadStatus ReadPhysical(ulong address, Span<byte> destination, out int bytesRead)
    {
        ReadCount++;
        bytesRead = 0;
        while (!destination.IsEmpty)
        {
            ulong pfn = address / Page;
            switch (GetPageState(pfn))
            {
                case PageState.Excluded:
                    return ReadStatus.Excluded;
                case PageState.NotInDump:
                    return ReadStatus.NotInDump;
            }

            int offset = (int)(address % Page);
            int n = Math.Min(destination.Length, Page - offset);
            if (_pages.TryGetValue(pfn, out var page))
            {
                page.AsSpan(offset, n).CopyTo(destination);
            }
            else
            {
                destination[..n].Clear();
            }

            destination = destination[n..];
            address += (ulong)n;
            bytesRead += n;
        }

        return ReadStatus.Ok;
    }
}
