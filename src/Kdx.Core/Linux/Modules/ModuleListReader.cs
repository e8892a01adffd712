using System.Globalization;
using Kdx.Core.Debug.Btf;
using Kdx.Core.Dumps;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Symbols;
using Kdx.Core.Types;

namespace Kdx.Core.Linux.Modules;

/// <summary>
/// Reads the loaded modules from the kernel's <c>modules</c> list (kernel/module/main.c; each
/// <c>struct module</c> is on it by its <c>list</c> member): name, memory regions, kallsyms and BTF.
/// Which layout <c>struct module</c> has is read from the types, not guessed from a version: Linux v6.4
/// (ac3b43283923 "module: replace module_layout with module_memory") replaced <c>core_layout</c> and
/// <c>init_layout</c> by <c>mem[MOD_MEM_NUM_TYPES]</c>. A module that cannot be read is reported and skipped.
/// </summary>
internal sealed partial class ModuleListReader
{
    private readonly StructFields _fields;
    private readonly KType _module;
    private readonly SymbolTable _kernelSymbols;
    private readonly BtfTypeSource? _vmlinuxBtf;
    private readonly ParseLimits _limits;
    private readonly List<string> _warnings;
    private Dictionary<ulong, BtfBlob>? _loadedBtf;

    private ModuleListReader(StructFields fields, SymbolTable kernelSymbols, BtfTypeSource? vmlinuxBtf, ParseLimits limits, List<string> warnings)
    {
        _fields = fields;
        _module = fields.Struct("module");
        _kernelSymbols = kernelSymbols;
        _vmlinuxBtf = vmlinuxBtf;
        _limits = limits;
        _warnings = warnings;
    }

    /// <summary>
    /// Every module on the list. Problems (no types, an unreadable module, a list that loops) go to
    /// <paramref name="warnings"/>; the modules read until then are returned.
    /// </summary>
    public static IReadOnlyList<KernelModule> Read(IMemoryReader kernel, ITypeSource types, SymbolTable kernelSymbols, BtfTypeSource? vmlinuxBtf, ParseLimits limits, List<string> warnings)
    {
        if (!kernelSymbols.TryGetAddress("modules", out ulong head))
        {
            warnings.Add("the kernel's module list (the symbol 'modules') is unknown: no module is read");
            return [];
        }

        ModuleListReader reader;
        try
        {
            reader = new ModuleListReader(new StructFields(types, kernel), kernelSymbols, vmlinuxBtf, limits, warnings);
        }
        catch (KdxException e)
        {
            warnings.Add($"modules are not read: {e.Message}");
            return [];
        }

        return reader.Walk(head);
    }

    private List<KernelModule> Walk(ulong head)
    {
        var modules = new List<KernelModule>();
        ulong listOffset = StructFields.Member(_module, "list").Offset;
        var seen = new HashSet<ulong>();
        ulong node;
        try
        {
            node = _fields.ReadUnsigned(head, 8, "modules.next");
            while (node != head)
            {
                if (!seen.Add(node) || seen.Count > _limits.MaxModules)
                {
                    _warnings.Add(string.Create(CultureInfo.InvariantCulture, $"the module list loops or is longer than {_limits.MaxModules} at {node:x}: {modules.Count} modules read"));
                    break;
                }

                ulong module = node - listOffset;
                try
                {
                    modules.Add(ReadModule(module));
                }
                catch (KdxException e)
                {
                    _warnings.Add(string.Create(CultureInfo.InvariantCulture, $"the module at {module:x} cannot be read: {e.Message}"));
                }

                node = _fields.ReadUnsigned(node, 8, "module.list.next");
            }
        }
        catch (KdxException e)
        {
            _warnings.Add($"the module list is broken after {modules.Count} modules: {e.Message}");
        }

        return modules;
    }

    private KernelModule ReadModule(ulong module)
    {
        string name = _fields.ReadCharArray(module, _module, "name");
        var regions = Regions(module, out ulong textBase);
        SymbolTable symbols;
        try
        {
            symbols = Symbols(module);
        }
        catch (KdxException e)
        {
            _warnings.Add($"module {name}: its symbols cannot be read: {e.Message}");
            symbols = new SymbolTable([], [], [], []);
        }

        BtfTypeSource? btf = null;
        try
        {
            btf = Btf(module, name);
        }
        catch (KdxException e)
        {
            _warnings.Add($"module {name}: its BTF cannot be read: {e.Message}");
        }

        return new KernelModule(name, module, regions, textBase, symbols, btf);
    }

    /// <summary>The regions of mem[] (v6.4+), or of core_layout, init_layout and (some architectures) data_layout.</summary>
    private List<ModuleRegion> Regions(ulong module, out ulong textBase)
    {
        var regions = new List<ModuleRegion>();
        if (StructFields.TryMember(_module, "mem", out var mem, out ulong memOffset) && mem.Type.Type.Unaliased() is { Kind: TypeKind.Array, Length: { } count } array)
        {
            var element = array.Target!.Value.Type.Unaliased();
            var names = MemoryTypeNames();
            textBase = 0;
            for (ulong i = 0; i < count; i++)
            {
                ulong at = module + memOffset + (i * element.Size);
                string name = names.TryGetValue(i, out var n) ? n : string.Create(CultureInfo.InvariantCulture, $"mem{i}");
                ulong b = _fields.ReadUnsigned(at, element, "base");
                if (name == "text")
                {
                    textBase = b;
                }

                regions.Add(new ModuleRegion(name, b, _fields.ReadUnsigned(at, element, "size")));
            }
        }
        else if (StructFields.TryMember(_module, "core_layout", out _, out _))
        {
            textBase = _fields.ReadUnsigned(module, _module, "core_layout.base");
            foreach (var (layout, name) in (ReadOnlySpan<(string, string)>)[("core_layout", "core"), ("init_layout", "init"), ("data_layout", "data")])
            {
                if (StructFields.TryMember(_module, layout, out _, out _))
                {
                    regions.Add(new ModuleRegion(name, _fields.ReadUnsigned(module, _module, layout + ".base"), _fields.ReadUnsigned(module, _module, layout + ".size")));
                }
            }
        }
        else
        {
            throw new KdxException("struct module has neither mem[] (Linux v6.4+) nor core_layout");
        }

        regions.RemoveAll(r => r.Size == 0 || r.Base == 0);
        return regions;
    }

    /// <summary>enum mod_mem_type's values by number: MOD_TEXT → "text", MOD_INIT_RODATA → "init_rodata".</summary>
    private Dictionary<ulong, string> MemoryTypeNames()
    {
        var names = new Dictionary<ulong, string>();
        if (_fields.Types.FindType("mod_mem_type", TypeKind.Enum) is { } e)
        {
            foreach (var v in e.Enumerators)
            {
                if (v.Name.StartsWith("MOD_", StringComparison.Ordinal) && v.SignedValue >= 0)
                {
                    names.TryAdd(v.Value, v.Name[4..].ToLowerInvariant());
                }
            }
        }

        return names;
    }

    private readonly record struct BtfBlob(ulong Data, ulong Size, ulong? StartId);
}
