using Kdx.Core.Memory;

namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// One task's user address space (crash's UVADDR) through its page table. As in crash's uvtop, a kernel
/// address is translated as a kernel address, and PROT_NONE PMDs and PTEs count as mapped.
/// </summary>
public sealed class UserVirtualMemory : X86_64VirtualMemory
{
    internal UserVirtualMemory(KernelVirtualMemory kernel, ulong pageTable)
        : base(kernel.Walker)
    {
        Kernel = kernel;
        PageTable = pageTable & kernel.Walker.FrameMask;
    }

    /// <inheritdoc/>
    public override AddressSpace Space => AddressSpace.UserVirtual;

    /// <summary>The physical address of the task's top-level page table.</summary>
    public ulong PageTable { get; }

    /// <summary>The kernel's address space (for kernel addresses).</summary>
    public KernelVirtualMemory Kernel { get; }

    /// <inheritdoc/>
    public override PageWalk Walk(ulong address) =>
        IsKernelAddress(address) ? Kernel.Walk(address) : Walker.Walk(PageTable, address, protNoneIsPresent: true);

    /// <inheritdoc/>
    private protected override ReadStatus TranslateRun(ulong address, out ulong physicalAddress, out ulong contiguousBytes)
    {
        if (IsKernelAddress(address))
        {
            var status = Kernel.Translate(address, out physicalAddress);
            contiguousBytes = status == ReadStatus.Ok ? 0x1000 - (address & 0xFFF) : 0;
            return status;
        }

        return TranslateByWalk(PageTable, address, protNoneIsPresent: true, out physicalAddress, out contiguousBytes);
    }

    private bool IsKernelAddress(ulong address) => address >= Kernel.Layout.KernelSpaceStart;
}
