namespace Kdx.Core.Memory;

/// <summary>
/// One address space of the crashed machine (physical memory, or the kernel's virtual memory).
/// The single primitive is a bulk read that stops at the first byte it cannot read and says why;
/// <see cref="MemoryReaderExtensions"/> adds the throwing and typed reads on top.
/// </summary>
public interface IMemoryReader
{
    /// <summary>Which address space this reader reads.</summary>
    AddressSpace Space { get; }

    /// <summary>
    /// Reads <c>destination.Length</c> bytes at <paramref name="address"/>.
    /// Returns <see cref="ReadStatus.Ok"/> when all were read; otherwise the reason the byte at
    /// <c>address + bytesRead</c> could not be read.
    /// </summary>
    ReadStatus Read(ulong address, Span<byte> destination, out int bytesRead);

    /// <summary>
    /// Extra words for a failure at <paramref name="address"/> (e.g. the physical address it maps to,
    /// or the file offset where the dump is truncated); null when there is nothing to add.
    /// </summary>
    string? ExplainFailure(ulong address, ReadStatus status);
}
