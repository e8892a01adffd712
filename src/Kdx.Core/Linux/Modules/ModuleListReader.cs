using System.Globalization;
using Kdx.Core.Debug.Btf;
using Kdx.Core.Dumps;
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
    private readonly IProgram _program;
    private readonly KType _module;
    private readonly BtfTypeSource? _vmlinuxBtf;
    private readonly ParseLimits _limits;
    private readonly List<string> _warnings;
    private Dictionary<ulong, BtfBlob>? _loadedBtf;

    private ModuleListReader(IProgram program, BtfTypeSource? vmlinuxBtf, ParseLimits limits, List<string> warnings)
    {
        _program = program;
        _module = StructType(program, "module");
        _vmlinuxBtf = vmlinuxBtf;
        _limits = limits;
        _warnings = warnings;
    }

    /// <summary>
    /// Every module on the list. Problems (no types, an unreadable module, a list that loops) go to
    /// <paramref name="warnings"/>; the modules read until then are returned.
    /// </summary>
    public static IReadOnlyList<KernelModule> Read(IProgram program, BtfTypeSource? vmlinuxBtf, ParseLimits limits, List<string> warnings)
    {
        if (!program.Symbols.TryGetAddress("modules", out ulong head))
        {
            warnings.Add("the kernel's module list (the symbol 'modules') is unknown: no module is read");
            return [];
        }

        try
        {
            return new ModuleListReader(program, vmlinuxBtf, limits, warnings).Walk(head);
        }
        catch (KdxException e)
        {
            warnings.Add($"modules are not read: {e.Message}");
            return [];
        }
    }

    private static KType StructType(IProgram program, string name) =>
        program.Types.FindType(name, TypeKind.Struct) is { IsComplete: true } t
            ? t
            : throw new KdxException($"struct {name} is not in the kernel's types");

    /// <summary>The entries of a list_head list, as the addresses of their list_head; stops at a loop or the limit.</summary>
    private IEnumerable<ulong> ListNodes(ulong head, string what)
    {
        var listHead = StructType(_program, "list_head");
        var seen = new HashSet<ulong>();
        ulong node = KObject.FromAddress(_program, listHead, head)["next"].ToUInt64();
        while (node != head)
        {
            if (!seen.Add(node) || seen.Count > _limits.MaxModules)
            {
                _warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{what} loops or is longer than {_limits.MaxModules} entries at {node:x}"));
                yield break;
            }

            // An entry whose link cannot be read ends the walk before its container is read.
            ulong next = KObject.FromAddress(_program, listHead, node)["next"].ToUInt64();
            yield return node;
            node = next;
        }
    }

    private List<KernelModule> Walk(ulong head)
    {
        var modules = new List<KernelModule>();
        ulong listOffset = KObject.OffsetOf(_module, "list");
        try
        {
            foreach (ulong node in ListNodes(head, "the module list"))
            {
                var module = KObject.FromAddress(_program, _module, node - listOffset);
                try
                {
                    modules.Add(ReadModule(module));
                }
                catch (KdxException e)
                {
                    _warnings.Add(string.Create(CultureInfo.InvariantCulture, $"the module at {module.Address:x} cannot be read: {e.Message}"));
                }
            }
        }
        catch (KdxException e)
        {
            _warnings.Add($"the module list is broken after {modules.Count} modules: {e.Message}");
        }

        return modules;
    }

    private KernelModule ReadModule(KObject module)
    {
        string name = module["name"].ReadCString();
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

        return new KernelModule(name, module.Address, regions, textBase, symbols, btf);
    }

    /// <summary>The regions of mem[] (v6.4+), or of core_layout, init_layout and (some architectures) data_layout.</summary>
    private List<ModuleRegion> Regions(KObject module, out ulong textBase)
    {
        var regions = new List<ModuleRegion>();
        textBase = 0;
        if (module.HasMember("mem") && module["mem"].UnderlyingType is { Kind: TypeKind.Array, Length: { } count })
        {
            var names = MemoryTypeNames();
            var mem = module["mem"];
            for (long i = 0; i < (long)count; i++)
            {
                string name = names.TryGetValue((ulong)i, out var n) ? n : string.Create(CultureInfo.InvariantCulture, $"mem{i}");
                ulong b = mem[i]["base"].ToUInt64();
                textBase = name == "text" ? b : textBase;
                regions.Add(new ModuleRegion(name, b, mem[i]["size"].ToUInt64()));
            }
        }
        else if (module.HasMember("core_layout"))
        {
            textBase = module["core_layout"]["base"].ToUInt64();
            foreach (var (layout, name) in (ReadOnlySpan<(string, string)>)[("core_layout", "core"), ("init_layout", "init"), ("data_layout", "data")])
            {
                if (module.HasMember(layout))
                {
                    regions.Add(new ModuleRegion(name, module[layout]["base"].ToUInt64(), module[layout]["size"].ToUInt64()));
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
        if (_program.Types.FindType("mod_mem_type", TypeKind.Enum) is { } e)
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
