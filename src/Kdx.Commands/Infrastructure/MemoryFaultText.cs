using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.Memory;

namespace Kdx.Commands.Infrastructure;

/// <summary>The kind of address a command reads (crash's memtype).</summary>
public enum MemoryType
{
    /// <summary>A kernel virtual address (crash's KVADDR).</summary>
    KernelVirtual,

    /// <summary>A user virtual address of a task (UVADDR).</summary>
    UserVirtual,

    /// <summary>A physical address (PHYSADDR).</summary>
    Physical,

    /// <summary>An offset in the dump file itself (FILEADDR).</summary>
    DumpFile,
}

/// <summary>
/// A failed read in crash's words (memory.c readmem: "page excluded: kernel virtual address: ffff…  type: "64-bit
/// KVADDR"", "invalid kernel virtual address: …", "seek error: …", "read error: …"), followed by Kdx's own detail
/// in parentheses when there is any (the physical address, the dump's reason).
/// </summary>
public static class MemoryFaultText
{
    /// <summary>crash's short name of a memory type, as in "64-bit KVADDR".</summary>
    public static string TypeName(this MemoryType type) => type switch
    {
        MemoryType.KernelVirtual => "KVADDR",
        MemoryType.UserVirtual => "UVADDR",
        MemoryType.Physical => "PHYSADDR",
        _ => "FILEADDR",
    };

    /// <summary>crash's words for a memory type in messages, e.g. "kernel virtual".</summary>
    public static string Words(this MemoryType type) => type switch
    {
        MemoryType.KernelVirtual => "kernel virtual",
        MemoryType.UserVirtual => "user virtual",
        MemoryType.Physical => "physical",
        _ => "dumpfile",
    };

    /// <summary>The message for a read of <paramref name="what"/> that failed at <paramref name="address"/>.</summary>
    /// <param name="status">Why it failed.</param>
    /// <param name="type">The kind of address.</param>
    /// <param name="address">The first byte that could not be read.</param>
    /// <param name="what">What was being read, e.g. "64-bit KVADDR".</param>
    /// <param name="detail">Kdx's explanation (IMemoryReader.ExplainFailure), or null.</param>
    /// <param name="dump">The dump: crash says "seek error" for a page a compressed kdump lacks, "read error" elsewhere.</param>
    public static string Format(ReadStatus status, MemoryType type, ulong address, string what, string? detail, DumpFile? dump)
    {
        string where = $"{type.Words()} address: {address:x}  type: \"{what}\"";
        string text = status switch
        {
            ReadStatus.NotMapped => $"invalid {where}",
            ReadStatus.Excluded => $"page excluded: {where}",
            ReadStatus.NotInDump when dump is KdumpCompressedDump && type != MemoryType.DumpFile => $"seek error: {where}",
            _ => $"read error: {where}",
        };

        // Excluded and unmapped say it all in crash's words; the other reasons keep Kdx's name for them.
        string? reason = status is ReadStatus.NotMapped or ReadStatus.Excluded ? null : status.Describe();
        string? extra = (reason, detail) switch
        {
            (null, null) => null,
            (null, _) => detail,
            (_, null) => reason,
            _ => $"{reason}: {detail}",
        };
        return extra is null ? text : $"{text} ({extra})";
    }
}
