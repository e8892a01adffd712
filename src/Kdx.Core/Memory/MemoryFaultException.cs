namespace Kdx.Core.Memory;

/// <summary>
/// A read of dump memory that failed: the address, its address space, what was being read and why.
/// The message reads like crash's: <c>page excluded: kernel virtual address: ffff88800148e000  type: "xa_node"</c>,
/// followed by any detail the dump layer gave (the physical address, a file offset).
/// </summary>
public sealed class MemoryFaultException : KdxException
{
    /// <summary>Creates a fault.</summary>
    public MemoryFaultException(ulong address, AddressSpace space, ReadStatus reason, string what, string? detail = null)
        : base(Format(address, space, reason, what, detail))
    {
        Address = address;
        Space = space;
        Reason = reason;
        What = what;
        Detail = detail;
    }

    /// <summary>Creates a fault with no address (for serialisation frameworks and analyzers).</summary>
    public MemoryFaultException()
        : this(0, AddressSpace.Physical, ReadStatus.NotInDump, "memory")
    {
    }

    /// <summary>Creates a fault with a message only.</summary>
    public MemoryFaultException(string message)
        : base(message)
    {
        What = "memory";
    }

    /// <summary>Creates a fault with a message only.</summary>
    public MemoryFaultException(string message, Exception innerException)
        : base(message, innerException)
    {
        What = "memory";
    }

    /// <summary>The address that could not be read (the first byte that failed).</summary>
    public ulong Address { get; }

    /// <summary>The address space of <see cref="Address"/>.</summary>
    public AddressSpace Space { get; }

    /// <summary>Why the read failed.</summary>
    public ReadStatus Reason { get; }

    /// <summary>What was being read, e.g. "64-bit KVADDR" or "task_struct".</summary>
    public string What { get; }

    /// <summary>More detail from the layer that failed, e.g. "physical address 148e000" or "file truncated at offset 123".</summary>
    public string? Detail { get; }

    private static string Format(ulong address, AddressSpace space, ReadStatus reason, string what, string? detail)
    {
        string s = $"{reason.Describe()}: {space.Describe()}: {address:x}  type: \"{what}\"";
        return detail is null ? s : $"{s} ({detail})";
    }
}
