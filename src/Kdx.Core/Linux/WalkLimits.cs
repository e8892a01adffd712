namespace Kdx.Core.Linux;

/// <summary>
/// Bounds for walks over kernel data structures. A real list or tree never reaches them; a corrupt
/// one (a cycle, a wild pointer) stops at them with a <see cref="CorruptStructureException"/>.
/// </summary>
public sealed record WalkLimits
{
    /// <summary>The defaults: room for tens of millions of entries.</summary>
    public static WalkLimits Default { get; } = new();

    /// <summary>Most entries a walk returns.</summary>
    public int MaxEntries { get; init; } = 50_000_000;

    /// <summary>Deepest tree accepted (a red-black tree of 2^64 nodes is under 128 deep).</summary>
    public int MaxDepth { get; init; } = 128;
}

/// <summary>
/// A kernel data structure that cannot be walked: a cycle, a broken back link, a pointer out of
/// memory. The walk stops here; what it already returned stays valid.
/// </summary>
public sealed class CorruptStructureException : KdxException
{
    /// <summary>Creates an error naming the structure, the address of the bad link and the problem.</summary>
    public CorruptStructureException(string structure, ulong address, string problem)
        : base($"{structure}: {problem} at {address:x}")
    {
        Structure = structure;
        Address = address;
    }

    /// <summary>Creates an error with a message.</summary>
    public CorruptStructureException(string message)
        : base(message)
    {
        Structure = string.Empty;
    }

    /// <summary>Creates an error with no message.</summary>
    public CorruptStructureException()
        : this("corrupt structure")
    {
    }

    /// <summary>Creates an error with a message and a cause.</summary>
    public CorruptStructureException(string message, Exception innerException)
        : base(message, innerException)
    {
        Structure = string.Empty;
    }

    /// <summary>What was being walked, e.g. "list_head at ffff888003a8c9a8".</summary>
    public string Structure { get; }

    /// <summary>The address of the bad link.</summary>
    public ulong Address { get; }
}
