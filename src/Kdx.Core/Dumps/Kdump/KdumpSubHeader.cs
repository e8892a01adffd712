using System.Buffers.Binary;

namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// The compressed kdump sub-header at block 1 (makedumpfile diskdump_mod.h: struct kdump_sub_header,
/// x86_64 layout). Each header version adds fields; fields a version does not have read as 0.
/// </summary>
public sealed record KdumpSubHeader
{
    /// <summary>phys_base: where the kernel image was loaded relative to its link address (x86_64).</summary>
    public ulong PhysBase { get; init; }

    /// <summary>dump_level (version 1): makedumpfile's -d value.</summary>
    public int DumpLevel { get; init; }

    /// <summary>split (version 2): nonzero in each file of a makedumpfile --split set.</summary>
    public int Split { get; init; }

    /// <summary>start_pfn (version 2): the split range start, obsolete 32-bit copy.</summary>
    public ulong StartPfn { get; init; }

    /// <summary>end_pfn (version 2): the split range end, obsolete 32-bit copy.</summary>
    public ulong EndPfn { get; init; }

    /// <summary>offset_vmcoreinfo (version 3): file offset of the VMCOREINFO text.</summary>
    public long OffsetVmcoreinfo { get; init; }

    /// <summary>size_vmcoreinfo (version 3).</summary>
    public ulong SizeVmcoreinfo { get; init; }

    /// <summary>offset_note (version 4): file offset of the ELF notes copied from /proc/vmcore.</summary>
    public long OffsetNote { get; init; }

    /// <summary>size_note (version 4).</summary>
    public ulong SizeNote { get; init; }

    /// <summary>offset_eraseinfo (version 5): file offset of the erase information (makedumpfile --config).</summary>
    public long OffsetEraseinfo { get; init; }

    /// <summary>size_eraseinfo (version 5).</summary>
    public ulong SizeEraseinfo { get; init; }

    /// <summary>start_pfn_64 (version 6): the split range start.</summary>
    public ulong StartPfn64 { get; init; }

    /// <summary>end_pfn_64 (version 6): the split range end (exclusive).</summary>
    public ulong EndPfn64 { get; init; }

    /// <summary>max_mapnr_64 (version 6): the number of page frames.</summary>
    public ulong MaxMapnr64 { get; init; }

    /// <summary>Decodes the sub-header fields that <paramref name="headerVersion"/> has.</summary>
    public static KdumpSubHeader Parse(ReadOnlySpan<byte> b, int headerVersion)
    {
        if (b.Length < KdumpFormat.SubHeaderSize)
        {
            throw new ArgumentException("the sub-header needs 104 bytes", nameof(b));
        }

        if (headerVersion < 1)
        {
            return new KdumpSubHeader();
        }

        return new KdumpSubHeader
        {
            PhysBase = U64(b, 0),
            DumpLevel = BinaryPrimitives.ReadInt32LittleEndian(b[8..]),
            Split = headerVersion >= 2 ? BinaryPrimitives.ReadInt32LittleEndian(b[12..]) : 0,
            StartPfn = headerVersion >= 2 ? U64(b, 16) : 0,
            EndPfn = headerVersion >= 2 ? U64(b, 24) : 0,
            OffsetVmcoreinfo = headerVersion >= 3 ? (long)U64(b, 32) : 0,
            SizeVmcoreinfo = headerVersion >= 3 ? U64(b, 40) : 0,
            OffsetNote = headerVersion >= 4 ? (long)U64(b, 48) : 0,
            SizeNote = headerVersion >= 4 ? U64(b, 56) : 0,
            OffsetEraseinfo = headerVersion >= 5 ? (long)U64(b, 64) : 0,
            SizeEraseinfo = headerVersion >= 5 ? U64(b, 72) : 0,
            StartPfn64 = headerVersion >= 6 ? U64(b, 80) : 0,
            EndPfn64 = headerVersion >= 6 ? U64(b, 88) : 0,
            MaxMapnr64 = headerVersion >= 6 ? U64(b, 96) : 0,
        };
    }

    /// <summary>Encodes every field (the version 6 layout) into the first 104 bytes of <paramref name="b"/>.</summary>
    public void Write(Span<byte> b)
    {
        b[..KdumpFormat.SubHeaderSize].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(b, PhysBase);
        BinaryPrimitives.WriteInt32LittleEndian(b[8..], DumpLevel);
        BinaryPrimitives.WriteInt32LittleEndian(b[12..], Split);
        BinaryPrimitives.WriteUInt64LittleEndian(b[16..], StartPfn);
        BinaryPrimitives.WriteUInt64LittleEndian(b[24..], EndPfn);
        BinaryPrimitives.WriteInt64LittleEndian(b[32..], OffsetVmcoreinfo);
        BinaryPrimitives.WriteUInt64LittleEndian(b[40..], SizeVmcoreinfo);
        BinaryPrimitives.WriteInt64LittleEndian(b[48..], OffsetNote);
        BinaryPrimitives.WriteUInt64LittleEndian(b[56..], SizeNote);
        BinaryPrimitives.WriteInt64LittleEndian(b[64..], OffsetEraseinfo);
        BinaryPrimitives.WriteUInt64LittleEndian(b[72..], SizeEraseinfo);
        BinaryPrimitives.WriteUInt64LittleEndian(b[80..], StartPfn64);
        BinaryPrimitives.WriteUInt64LittleEndian(b[88..], EndPfn64);
        BinaryPrimitives.WriteUInt64LittleEndian(b[96..], MaxMapnr64);
    }

    private static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);
}
