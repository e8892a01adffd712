using Kdx.Core.Memory;

namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// The kernel's virtual memory (crash's KVADDR): the direct map and the kernel image translate
/// arithmetically, as in crash's x86_64_kvtop, and everything else through the kernel page table.
/// Safe for concurrent reads.
/// </summary>
public sealed class KernelVirtualMemory : X86_64VirtualMemory
{
    // The linear regions, copied out of the layout for the hot path.
    private readonly ulong _directStart;
    private readonly ulong _directEnd;
    private readonly ulong _imageEnd;
    private readonly ulong _physBase;

    /// <summary>Creates the kernel's address space over the dump's physical memory.</summary>
    /// <param name="physical">The dump's physical memory (a <c>DumpFile</c>).</param>
    /// <param name="layout">The kernel layout (from <see cref="X86_64LayoutDetector"/>).</param>
    public KernelVirtualMemory(IMemoryReader physical, X86_64KernelLayout layout)
        : base(CreateWalker(physical, layout))
    {
        Layout = layout;
        _directStart = layout.PageOffsetBase;
        _directEnd = layout.DirectMapEnd;
        _imageEnd = layout.KernelImageEnd;
        _physBase = layout.PhysBase;
    }

    /// <inheritdoc/>
    public override AddressSpace Space => AddressSpace.KernelVirtual;

    /// <summary>The layout this space translates with.</summary>
    public X86_64KernelLayout Layout { get; }

    /// <summary>Walks the kernel page table (init_top_pgt) for an address, even where reads translate arithmetically.</summary>
    /// <exception cref="KdxException">The kernel page table is unknown.</exception>
    public override PageWalk Walk(ulong address) =>
        Layout.KernelPageTable is { } root
            ? Walker.Walk(root, address)
            : throw new KdxException("the kernel page table is unknown (no VMCOREINFO, no CR3 in the dump)");

    /// <summary>
    /// A user address space: <paramref name="pageTable"/> is the physical address of the task's PGD
    /// (<c>mm-&gt;pgd</c> translated, e.g. with <see cref="X86_64VirtualMemory.Translate"/>).
    /// </summary>
    public UserVirtualMemory ForUser(ulong pageTable) => new(this, pageTable);

    /// <summary>crash's PTOV: the direct-map address of a physical address.</summary>
    public ulong PhysicalToVirtual(ulong physicalAddress) => Layout.PhysicalToVirtual(physicalAddress);

    private static PageTableWalker CreateWalker(IMemoryReader physical, X86_64KernelLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return new PageTableWalker(physical, layout.PagingLevels, layout.SmeMask);
    }

    /// <inheritdoc/>
    private protected override ReadStatus TranslateRun(ulong address, out ulong physicalAddress, out ulong contiguousBytes)
    {
        if (address >= _directStart && address < _directEnd)
        {
            physicalAddress = address - _directStart;
            contiguousBytes = _directEnd - address;
            return ReadStatus.Ok;
        }

        if (address >= X86_64KernelLayout.StartKernelMap && address < _imageEnd)
        {
            physicalAddress = unchecked(address - X86_64KernelLayout.StartKernelMap + _physBase);
            contiguousBytes = _imageEnd - address;
            return ReadStatus.Ok;
        }

        if (Layout.KernelPageTable is not { } root)
        {
            physicalAddress = 0;
            contiguousBytes = 0;
            return ReadStatus.NotMapped;
        }

        return TranslateByWalk(root, address, protNoneIsPresent: false, out physicalAddress, out contiguousBytes);
    }

    /// <inheritdoc/>
    private protected override string ExplainTranslationFailure(ulong address) =>
        Layout.KernelPageTable is null
            ? "the kernel page table is unknown (no VMCOREINFO, no CR3 in the dump)"
            : base.ExplainTranslationFailure(address);
}
