namespace Kdx.Core.Memory;

/// <summary>
/// Why a read of memory stopped. Low layers return this instead of throwing; the
/// <c>Read…</c> wrappers turn a failure into a <see cref="MemoryFaultException"/>.
/// </summary>
public enum ReadStatus : byte
{
    /// <summary>Every byte was read.</summary>
    Ok,

    /// <summary>No segment, page descriptor or bitmap entry of the dump covers the address.</summary>
    NotInDump,

    /// <summary>The page exists but makedumpfile excluded it from the dump (dump level filtering).</summary>
    Excluded,

    /// <summary>A virtual address has no valid translation in the page tables.</summary>
    NotMapped,

    /// <summary>The dump file ends before the data it describes.</summary>
    Truncated,

    /// <summary>A compressed page does not decompress to exactly one page.</summary>
    DecompressionFailed,

    /// <summary>A structure of the dump that describes the page is inconsistent (e.g. an offset outside the file).</summary>
    Corrupt,
}

/// <summary>Text for <see cref="ReadStatus"/> values, in crash's words where crash has words for it.</summary>
public static class ReadStatusText
{
    /// <summary>A short lower-case reason, e.g. "page excluded".</summary>
    public static string Describe(this ReadStatus status) => status switch
    {
        ReadStatus.Ok => "ok",
        ReadStatus.NotInDump => "not in dump",
        ReadStatus.Excluded => "page excluded",
        ReadStatus.NotMapped => "not mapped",
        ReadStatus.Truncated => "file truncated",
        ReadStatus.DecompressionFailed => "decompression failed",
        ReadStatus.Corrupt => "corrupt dump",
        _ => status.ToString(),
    };
}
