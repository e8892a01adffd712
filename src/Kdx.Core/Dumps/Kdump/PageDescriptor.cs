using System.Buffers.Binary;

namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// One page descriptor (makedumpfile diskdump_mod.h: struct page_desc), one per set bit of the
/// 2nd bitmap, in pfn order. Every zero page shares one descriptor target (makedumpfile writes a
/// single zero page at the start of the page data when dump level bit 1 is set).
/// </summary>
/// <param name="Offset">offset: the file offset of the page data; 0 for a page an incomplete dump never wrote.</param>
/// <param name="Size">size: the stored size (the block size when uncompressed).</param>
/// <param name="Flags">flags: the compression bit, or none.</param>
/// <param name="PageFlags">page_flags: unused by makedumpfile (always 0).</param>
public readonly record struct PageDescriptor(long Offset, uint Size, KdumpFlags Flags, ulong PageFlags)
{
    /// <summary>Decodes a descriptor from 24 bytes.</summary>
    public static PageDescriptor Read(ReadOnlySpan<byte> b) => new(
        BinaryPrimitives.ReadInt64LittleEndian(b),
        BinaryPrimitives.ReadUInt32LittleEndian(b[8..]),
        (KdumpFlags)BinaryPrimitives.ReadUInt32LittleEndian(b[12..]),
        BinaryPrimitives.ReadUInt64LittleEndian(b[16..]));

    /// <summary>Encodes the descriptor into 24 bytes.</summary>
    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteInt64LittleEndian(b, Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], Size);
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], (uint)Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(b[16..], PageFlags);
    }
}
