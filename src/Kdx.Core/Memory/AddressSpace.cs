namespace Kdx.Core.Memory;

/// <summary>Which kind of address a fault is about.</summary>
public enum AddressSpace : byte
{
    /// <summary>A physical address.</summary>
    Physical,

    /// <summary>A kernel virtual address.</summary>
    KernelVirtual,

    /// <summary>A user virtual address of some task.</summary>
    UserVirtual,
}

/// <summary>Text for <see cref="AddressSpace"/> values, in crash's words.</summary>
public static class AddressSpaceText
{
    /// <summary>e.g. "kernel virtual address".</summary>
    public static string Describe(this AddressSpace space) => space switch
    {
        AddressSpace.Physical => "physical address",
        AddressSpace.KernelVirtual => "kernel virtual address",
        AddressSpace.UserVirtual => "user virtual address",
        _ => space.ToString(),
    };
}
