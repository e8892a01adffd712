using Kdx.Core.Debug.Btf;
using Kdx.Core.Symbols;

namespace Kdx.Core.Linux.Modules;

/// <summary>A piece of a module's memory: "text", "data", "rodata" … (Linux v6.4+) or "core" and "init" (older).</summary>
/// <param name="Name">The region's name in kernel words (mod_mem_type without MOD_, lower case; or the module_layout's name).</param>
/// <param name="Base">Its first address.</param>
/// <param name="Size">Its size in bytes.</param>
public sealed record ModuleRegion(string Name, ulong Base, ulong Size)
{
    /// <summary>Whether the region is init memory (freed once the module has loaded).</summary>
    public bool IsInit => Name.StartsWith("init", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="address"/> is in the region.</summary>
    public bool Contains(ulong address) => address >= Base && address - Base < Size;
}

/// <summary>A loaded kernel module, as its <c>struct module</c> in the dump describes it.</summary>
public sealed class KernelModule
{
    internal KernelModule(string name, ulong address, IReadOnlyList<ModuleRegion> regions, ulong textBase, SymbolTable symbols, BtfTypeSource? btf)
    {
        Name = name;
        Address = address;
        Regions = regions;
        Base = textBase;
        Symbols = symbols;
        Btf = btf;
    }

    /// <summary>The module's name.</summary>
    public string Name { get; }

    /// <summary>The address of its <c>struct module</c> (crash's MODULE column).</summary>
    public ulong Address { get; }

    /// <summary>Its memory regions (empty ones left out).</summary>
    public IReadOnlyList<ModuleRegion> Regions { get; }

    /// <summary>Where its code starts: mem[MOD_TEXT].base, or core_layout.base (crash's BASE column).</summary>
    public ulong Base { get; }

    /// <summary>The size of its memory that stays after loading (crash's SIZE column): the sum of the non-init regions.</summary>
    public ulong Size => Regions.Where(r => !r.IsInit).Aggregate(0UL, (sum, r) => sum + r.Size);

    /// <summary>Its symbols (from its kallsyms: the core symbol table the kernel keeps), at their run-time addresses, with sizes.</summary>
    public SymbolTable Symbols { get; }

    /// <summary>Its BTF (split over the vmlinux BTF), when the module was built with BTF and the kernel loaded it.</summary>
    public BtfTypeSource? Btf { get; }

    /// <summary>Whether <paramref name="address"/> is in one of the module's regions.</summary>
    public bool Contains(ulong address) => Regions.Any(r => r.Contains(address));

    /// <inheritdoc/>
    public override string ToString() => $"{Name} at {Base:x}";
}
