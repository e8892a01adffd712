namespace Kdx.Core.Compression;

/// <summary>How one page of a compressed kdump (makedumpfile's diskdump format) is stored.</summary>
public enum PageCompression : byte
{
    /// <summary>Stored raw.</summary>
    None,

    /// <summary>A zlib stream (RFC 1950): makedumpfile <c>-c</c>, DUMP_DH_COMPRESSED_ZLIB.</summary>
    Zlib,

    /// <summary>An LZO1X stream: makedumpfile <c>-l</c>, DUMP_DH_COMPRESSED_LZO.</summary>
    Lzo,

    /// <summary>A raw snappy block (not the framed format): makedumpfile <c>-p</c>, DUMP_DH_COMPRESSED_SNAPPY.</summary>
    Snappy,

    /// <summary>A zstd frame: makedumpfile <c>-z</c>, DUMP_DH_COMPRESSED_ZSTD.</summary>
    Zstd,
}

/// <summary>
/// The compression bits of makedumpfile's page descriptor flags (struct page_desc.flags) and header
/// status (struct disk_dump_header.status), from makedumpfile diskdump_mod.h.
/// </summary>
public static class DiskDumpCompression
{
    /// <summary>DUMP_DH_COMPRESSED_ZLIB.</summary>
    public const uint Zlib = 0x1;

    /// <summary>DUMP_DH_COMPRESSED_LZO.</summary>
    public const uint Lzo = 0x2;

    /// <summary>DUMP_DH_COMPRESSED_SNAPPY.</summary>
    public const uint Snappy = 0x4;

    /// <summary>DUMP_DH_COMPRESSED_ZSTD.</summary>
    public const uint Zstd = 0x20;

    /// <summary>Every compression bit.</summary>
    public const uint Mask = Zlib | Lzo | Snappy | Zstd;

    /// <summary>
    /// The codec of a page with these flags. With more than one bit set the first of zlib, lzo,
    /// snappy, zstd wins, the order in which makedumpfile.c (readpage_kdump_compressed) tests them.
    /// </summary>
    public static PageCompression FromFlags(uint flags) =>
        (flags & Zlib) != 0 ? PageCompression.Zlib
        : (flags & Lzo) != 0 ? PageCompression.Lzo
        : (flags & Snappy) != 0 ? PageCompression.Snappy
        : (flags & Zstd) != 0 ? PageCompression.Zstd
        : PageCompression.None;

    /// <summary>The flag bit a writer sets for a page stored with <paramref name="kind"/>.</summary>
    public static uint ToFlags(PageCompression kind) => kind switch
    {
        PageCompression.None => 0,
        PageCompression.Zlib => Zlib,
        PageCompression.Lzo => Lzo,
        PageCompression.Snappy => Snappy,
        PageCompression.Zstd => Zstd,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown page compression"),
    };
}
