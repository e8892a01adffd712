namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// A small direct-mapped cache of recent translations for one page-table root, like a TLB: one slot per
/// 4 KiB virtual page (large pages fill the slot of the 4 KiB page that was looked up), allocation-free.
/// Each slot has a sequence number so that concurrent readers never see half of a slot another thread is
/// writing (a seqlock: odd while being written); a reader that races a writer just misses.
/// </summary>
internal sealed class TranslationCache
{
    private const int SlotCount = 256;
    private const ulong PageMask = 0xFFF;

    private readonly Slot[] _slots = new Slot[SlotCount];

    /// <summary>Looks up the page holding <paramref name="address"/>.</summary>
    /// <param name="address">The virtual address.</param>
    /// <param name="pageStart">The physical address of the start of the (possibly large) page.</param>
    /// <param name="pageSize">The size of that page.</param>
    public bool TryGet(ulong address, out ulong pageStart, out ulong pageSize)
    {
        ref var slot = ref _slots[(int)((address >> 12) % SlotCount)];
        long seq = Volatile.Read(ref slot.Sequence);
        ulong tag = Volatile.Read(ref slot.Tag);
        ulong value = Volatile.Read(ref slot.Physical);
        if ((seq & 1) == 0 && Volatile.Read(ref slot.Sequence) == seq && (tag & ~PageMask) == (address & ~PageMask) && (tag & PageMask) != 0)
        {
            pageSize = 1UL << (int)(tag & PageMask);
            pageStart = value;
            return true;
        }

        pageStart = 0;
        pageSize = 0;
        return false;
    }

    /// <summary>Remembers that the page of <paramref name="pageSize"/> bytes holding <paramref name="address"/> starts at physical <paramref name="pageStart"/>.</summary>
    public void Add(ulong address, ulong pageStart, ulong pageSize)
    {
        ref var slot = ref _slots[(int)((address >> 12) % SlotCount)];
        long seq = Volatile.Read(ref slot.Sequence);
        if ((seq & 1) != 0 || Interlocked.CompareExchange(ref slot.Sequence, seq + 1, seq) != seq)
        {
            return; // another thread is writing this slot; caching is optional
        }

        // The tag's low 12 bits hold log2(page size) (12, 21 or 30); 0 marks an empty slot.
        slot.Tag = (address & ~PageMask) | (uint)System.Numerics.BitOperations.Log2(pageSize);
        slot.Physical = pageStart;
        Volatile.Write(ref slot.Sequence, seq + 2);
    }

    private struct Slot
    {
        public long Sequence;
        public ulong Tag;
        public ulong Physical;
    }
}
