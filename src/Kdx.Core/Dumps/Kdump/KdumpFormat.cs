using Kdx.Core.Compression;

namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// Flags of <c>disk_dump_header.status</c> and of <c>page_desc.flags</c>
/// (makedumpfile diskdump_mod.h: DUMP_DH_*). The compression bits are used in both places.
/// </summary>
[Flags]
public enum KdumpFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>DUMP_DH_COMPRESSED_ZLIB.</summary>
    CompressedZlib = 0x1,

    /// <summary>DUMP_DH_COMPRESSED_LZO.</summary>
    CompressedLzo = 0x2,

    /// <summary>DUMP_DH_COMPRESSED_SNAPPY.</summary>
    CompressedSnappy = 0x4,

    /// <summary>DUMP_DH_COMPRESSED_INCOMPLETE: makedumpfile ran out of space; unwritten descriptors read as zeros.</summary>
    CompressedIncomplete = 0x8,

    /// <summary>DUMP_DH_EXCLUDED_VMEMMAP: unused vmemmap pages were excluded (makedumpfile -e).</summary>
    ExcludedVmemmap = 0x10,

    /// <summary>DUMP_DH_COMPRESSED_ZSTD.</summary>
    CompressedZstd = 0x20,
}

/// <summary>Fixed facts of the compressed kdump layout on x86_64 (LP64, little-endian).</summary>
public static class KdumpFormat
{
    /// <summary>The signature of a makedumpfile compressed kdump (KDUMP_SIGNATURE).</summary>
    public const string KdumpSignature = "KDUMP   ";

    /// <summary>The signature of the older diskdump format (DISK_DUMP_SIGNATURE).</summary>
    public const string DiskDumpSignature = "DISKDUMP";

    /// <summary>The header version makedumpfile 1.5.0 and later write.</summary>
    public const int CurrentHeaderVersion = 6;

    /// <summary>sizeof(struct disk_dump_header) on x86_64, without the tasks[] tail.</summary>
    public const int HeaderSize = 464;

    /// <summary>sizeof(struct kdump_sub_header) on x86_64.</summary>
    public const int SubHeaderSize = 104;

    /// <summary>sizeof(struct page_desc): off_t offset, u32 size, u32 flags, u64 page_flags.</summary>
    public const int PageDescriptorSize = 24;

    /// <summary>The smallest block size accepted.</summary>
    public const int MinBlockSize = 512;

    /// <summary>The compression bits of a page descriptor's flags.</summary>
    public const KdumpFlags CompressionMask = KdumpFlags.CompressedZlib | KdumpFlags.CompressedLzo | KdumpFlags.CompressedSnappy | KdumpFlags.CompressedZstd;

    /// <summary>The page-descriptor flag of a compression method (0 for <see cref="PageCompression.None"/>).</summary>
    public static KdumpFlags FlagOf(PageCompression kind) => kind switch
    {
        PageCompression.Zlib => KdumpFlags.CompressedZlib,
        PageCompression.Lzo => KdumpFlags.CompressedLzo,
        PageCompression.Snappy => KdumpFlags.CompressedSnappy,
        PageCompression.Zstd => KdumpFlags.CompressedZstd,
        _ => KdumpFlags.None,
    };

    /// <summary>
    /// The compression method of a descriptor's flags, or false when more than one compression bit is
    /// set (makedumpfile sets at most one).
    /// </summary>
    public static bool TryGetCompression(KdumpFlags flags, out PageCompression kind)
    {
        var bits = flags & CompressionMask;
        kind = bits switch
        {
            KdumpFlags.CompressedZlib => PageCompression.Zlib,
            KdumpFlags.CompressedLzo => PageCompression.Lzo,
            KdumpFlags.CompressedSnappy => PageCompression.Snappy,
            KdumpFlags.CompressedZstd => PageCompression.Zstd,
            _ => PageCompression.None,
        };
        return bits == KdumpFlags.None || kind != PageCompression.None;
    }

    /// <summary>The names of a status or flags value, e.g. "DUMP_DH_COMPRESSED_LZO|DUMP_DH_EXCLUDED_VMEMMAP".</summary>
    public static string Describe(KdumpFlags flags)
    {
        var names = new List<string>();
        if ((flags & KdumpFlags.CompressedZlib) != 0)
        {
            names.Add("DUMP_DH_COMPRESSED_ZLIB");
        }

        if ((flags & KdumpFlags.CompressedLzo) != 0)
        {
            names.Add("DUMP_DH_COMPRESSED_LZO");
        }

        if ((flags & KdumpFlags.CompressedSnappy) != 0)
        {
            names.Add("DUMP_DH_COMPRESSED_SNAPPY");
        }

        if ((flags & KdumpFlags.CompressedIncomplete) != 0)
        {
            names.Add("DUMP_DH_COMPRESSED_INCOMPLETE");
        }

        if ((flags & KdumpFlags.ExcludedVmemmap) != 0)
        {
            names.Add("DUMP_DH_EXCLUDED_VMEMMAP");
        }

        if ((flags & KdumpFlags.CompressedZstd) != 0)
        {
            names.Add("DUMP_DH_COMPRESSED_ZSTD");
        }

        uint unknown = (uint)flags & ~0x3fu;
        if (unknown != 0)
        {
            names.Add($"0x{unknown:x}");
        }

        return string.Join('|', names);
    }
}
