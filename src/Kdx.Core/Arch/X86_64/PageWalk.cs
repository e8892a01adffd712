using System.Globalization;
using Kdx.Core.Memory;

namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// One step of a page-table walk: the entry the walk read at one level.
/// </summary>
/// <param name="Level">The level of the table the entry is in.</param>
/// <param name="EntryAddress">The physical address of the entry.</param>
/// <param name="RawEntry">The entry as stored in memory.</param>
/// <param name="Entry">The entry without the SME encryption bit (what crash prints).</param>
public readonly record struct PageWalkStep(PageTableLevel Level, ulong EntryAddress, ulong RawEntry, ulong Entry)
{
    /// <summary>Whether the entry has the present bit.</summary>
    public bool IsPresent => PageTableEntry.IsPresent(Entry);
}

/// <summary>
/// The result of walking the page tables for one virtual address: every entry read (for <c>vtop</c>),
/// and either the physical address or why and where the walk stopped.
/// </summary>
public sealed class PageWalk
{
    internal PageWalk(ulong virtualAddress, ulong root, int levels, PageWalkStep[] steps, ReadStatus status,
        ulong physicalAddress, ulong pageSize, ulong failedReadAddress, PageTableLevel? stoppedAt)
    {
        VirtualAddress = virtualAddress;
        Root = root;
        Levels = levels;
        Steps = steps;
        Status = status;
        PhysicalAddress = physicalAddress;
        PageSize = pageSize;
        FailedReadAddress = failedReadAddress;
        StoppedAt = stoppedAt;
    }

    /// <summary>The address that was translated.</summary>
    public ulong VirtualAddress { get; }

    /// <summary>The physical address of the top-level table.</summary>
    public ulong Root { get; }

    /// <summary>The number of paging levels (4 or 5).</summary>
    public int Levels { get; }

    /// <summary>The entries read, top level first; the last one is the leaf or the entry that stopped the walk.</summary>
    public IReadOnlyList<PageWalkStep> Steps { get; }

    /// <summary>
    /// <see cref="ReadStatus.Ok"/> when mapped; <see cref="ReadStatus.NotMapped"/> when an entry was not present
    /// (or the address is not canonical); otherwise the dump's reason a page-table page could not be read.
    /// </summary>
    public ReadStatus Status { get; }

    /// <summary>Whether the address is mapped.</summary>
    public bool IsMapped => Status == ReadStatus.Ok;

    /// <summary>The physical address the virtual address maps to (when mapped).</summary>
    public ulong PhysicalAddress { get; }

    /// <summary>The size of the page that maps it: 4 KiB, 2 MiB or 1 GiB (when mapped).</summary>
    public ulong PageSize { get; }

    /// <summary>The physical address of the page that holds the mapping (<see cref="PhysicalAddress"/> rounded down to <see cref="PageSize"/>).</summary>
    public ulong PageAddress => PhysicalAddress & ~(PageSize - 1);

    /// <summary>When a page-table page could not be read: the physical address of the entry the walk tried to read.</summary>
    public ulong FailedReadAddress { get; }

    /// <summary>Whether the walk stopped because the address is not canonical for the paging mode (no entry was read).</summary>
    public bool IsNonCanonical => Status == ReadStatus.NotMapped && StoppedAt is null;

    /// <summary>
    /// The level where the walk stopped (the non-present entry, or the table that could not be read);
    /// null when the address is mapped or not canonical.
    /// </summary>
    public PageTableLevel? StoppedAt { get; }

    /// <summary>The last entry read (the leaf when mapped), or null when none was read.</summary>
    public PageWalkStep? Leaf => Steps.Count == 0 ? null : Steps[^1];

    /// <summary>One line that says where the walk stopped and why, or where the address maps.</summary>
    public string Describe()
    {
        var ci = CultureInfo.InvariantCulture;
        if (IsNonCanonical)
        {
            return string.Create(ci, $"{VirtualAddress:x} is not a canonical address with {Levels}-level paging");
        }

        if (IsMapped)
        {
            return string.Create(ci, $"{VirtualAddress:x} maps to physical address {PhysicalAddress:x} ({SizeText(PageSize)} page)");
        }

        string level = StoppedAt?.Name() ?? "?";
        if (Status == ReadStatus.NotMapped)
        {
            var s = Steps[^1];
            return string.Create(ci, $"{level} entry at physical address {s.EntryAddress:x} is not present ({s.Entry:x})");
        }

        return string.Create(ci, $"{level} table entry at physical address {FailedReadAddress:x} cannot be read: {Status.Describe()}");
    }

    /// <summary>"4K", "2M" or "1G".</summary>
    internal static string SizeText(ulong size) => size switch
    {
        1UL << 30 => "1G",
        1UL << 21 => "2M",
        _ => "4K",
    };
}
