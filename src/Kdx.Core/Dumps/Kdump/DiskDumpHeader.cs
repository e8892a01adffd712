using System.Buffers.Binary;
using System.Text;

namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// The main header of a compressed kdump, block 0 of the file (makedumpfile diskdump_mod.h:
/// struct disk_dump_header). Offsets are those of x86_64: utsname is six 65-byte strings at 12,
/// struct timeval is 8-aligned at 408, and the int fields follow from 424.
/// </summary>
public sealed record DiskDumpHeader
{
    private const int UtsnameOffset = 12;
    private const int UtsnameFieldLength = 65;
    private const int TimestampOffset = 408;
    private const int StatusOffset = 424;

    /// <summary>signature[8]: "KDUMP   " or "DISKDUMP".</summary>
    public required string Signature { get; init; }

    /// <summary>header_version: 0 to 6 (makedumpfile writes 6).</summary>
    public int HeaderVersion { get; init; }

    /// <summary>utsname: a copy of the crashed kernel's system_utsname (QEMU fills only machine).</summary>
    public required DumpUtsname Utsname { get; init; }

    /// <summary>timestamp.tv_sec: makedumpfile writes VMCOREINFO's CRASHTIME here.</summary>
    public long TimestampSeconds { get; init; }

    /// <summary>timestamp.tv_usec.</summary>
    public long TimestampMicroseconds { get; init; }

    /// <summary>status: the compression method and DUMP_DH_COMPRESSED_INCOMPLETE / DUMP_DH_EXCLUDED_VMEMMAP.</summary>
    public KdumpFlags Status { get; init; }

    /// <summary>block_size: the unit of the header, bitmap and page sizes (the page size).</summary>
    public int BlockSize { get; init; }

    /// <summary>sub_hdr_size: the sub-header (kdump_sub_header and the ELF notes) in blocks.</summary>
    public int SubHeaderBlocks { get; init; }

    /// <summary>bitmap_blocks: both bitmaps together, in blocks.</summary>
    public uint BitmapBlocks { get; init; }

    /// <summary>max_mapnr: the number of page frames, truncated to 32 bits (full value in the sub-header from version 6).</summary>
    public uint MaxMapnr { get; init; }

    /// <summary>total_ram_blocks: a diskdump remnant, 0 in makedumpfile output.</summary>
    public uint TotalRamBlocks { get; init; }

    /// <summary>device_blocks: a diskdump remnant, 0 in makedumpfile output.</summary>
    public uint DeviceBlocks { get; init; }

    /// <summary>written_blocks: a diskdump remnant, 0 in makedumpfile output.</summary>
    public uint WrittenBlocks { get; init; }

    /// <summary>current_cpu: the CPU that took the dump in diskdump; makedumpfile and QEMU never set it (always 0).</summary>
    public uint CurrentCpu { get; init; }

    /// <summary>nr_cpus: the number of CPUs.</summary>
    public int NrCpus { get; init; }

    /// <summary>Whether this is the older diskdump format rather than a compressed kdump.</summary>
    public bool IsDiskDump => Signature == KdumpFormat.DiskDumpSignature;

    /// <summary>Decodes the first <see cref="KdumpFormat.HeaderSize"/> bytes of a dump.</summary>
    public static DiskDumpHeader Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length < KdumpFormat.HeaderSize)
        {
            throw new ArgumentException("the header needs 464 bytes", nameof(b));
        }

        return new DiskDumpHeader
        {
            Signature = Encoding.ASCII.GetString(b[..8]),
            HeaderVersion = I32(b, 8),
            Utsname = new DumpUtsname(Uts(b, 0), Uts(b, 1), Uts(b, 2), Uts(b, 3), Uts(b, 4), Uts(b, 5)),
            TimestampSeconds = BinaryPrimitives.ReadInt64LittleEndian(b[TimestampOffset..]),
            TimestampMicroseconds = BinaryPrimitives.ReadInt64LittleEndian(b[(TimestampOffset + 8)..]),
            Status = (KdumpFlags)U32(b, StatusOffset),
            BlockSize = I32(b, StatusOffset + 4),
            SubHeaderBlocks = I32(b, StatusOffset + 8),
            BitmapBlocks = U32(b, StatusOffset + 12),
            MaxMapnr = U32(b, StatusOffset + 16),
            TotalRamBlocks = U32(b, StatusOffset + 20),
            DeviceBlocks = U32(b, StatusOffset + 24),
            WrittenBlocks = U32(b, StatusOffset + 28),
            CurrentCpu = U32(b, StatusOffset + 32),
            NrCpus = I32(b, StatusOffset + 36),
        };
    }

    /// <summary>Encodes the header into the first <see cref="KdumpFormat.HeaderSize"/> bytes of <paramref name="b"/>.</summary>
    public void Write(Span<byte> b)
    {
        b[..KdumpFormat.HeaderSize].Clear();
        Encoding.ASCII.GetBytes(Signature.PadRight(8).AsSpan(0, 8), b);
        BinaryPrimitives.WriteInt32LittleEndian(b[8..], HeaderVersion);
        string[] uts = [Utsname.Sysname, Utsname.Nodename, Utsname.Release, Utsname.Version, Utsname.Machine, Utsname.Domainname];
        for (int i = 0; i < uts.Length; i++)
        {
            // At most 64 bytes, so the string stays NUL-terminated as in the kernel.
            var bytes = Encoding.UTF8.GetBytes(uts[i]);
            bytes.AsSpan(0, Math.Min(bytes.Length, UtsnameFieldLength - 1)).CopyTo(b[(UtsnameOffset + (i * UtsnameFieldLength))..]);
        }

        BinaryPrimitives.WriteInt64LittleEndian(b[TimestampOffset..], TimestampSeconds);
        BinaryPrimitives.WriteInt64LittleEndian(b[(TimestampOffset + 8)..], TimestampMicroseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(b[StatusOffset..], (uint)Status);
        BinaryPrimitives.WriteInt32LittleEndian(b[(StatusOffset + 4)..], BlockSize);
        BinaryPrimitives.WriteInt32LittleEndian(b[(StatusOffset + 8)..], SubHeaderBlocks);
        BinaryPrimitives.WriteUInt32LittleEndian(b[(StatusOffset + 12)..], BitmapBlocks);
        BinaryPrimitives.WriteUInt32LittleEndian(b[(StatusOffset + 16)..], MaxMapnr);
        BinaryPrimitives.WriteUInt32LittleEndian(b[(StatusOffset + 20)..], TotalRamBlocks);
        BinaryPrimitives.WriteUInt32LittleEndian(b[(StatusOffset + 24)..], DeviceBlocks);
        BinaryPrimitives.WriteUInt32LittleEndian(b[(StatusOffset + 28)..], WrittenBlocks);
        BinaryPrimitives.WriteUInt32LittleEndian(b[(StatusOffset + 32)..], CurrentCpu);
        BinaryPrimitives.WriteInt32LittleEndian(b[(StatusOffset + 36)..], NrCpus);
    }

    private static int I32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadInt32LittleEndian(b[at..]);

    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);

    private static string Uts(ReadOnlySpan<byte> b, int field)
    {
        var s = b.Slice(UtsnameOffset + (field * UtsnameFieldLength), UtsnameFieldLength);
        int nul = s.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? s[..nul] : s);
    }
}
