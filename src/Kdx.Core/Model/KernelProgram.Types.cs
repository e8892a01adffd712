using Kdx.Core.Debug.Btf;
using Kdx.Core.Linux.Modules;
using Kdx.Core.Symbols;

namespace Kdx.Core.Model;

/// <summary>Types and modules.</summary>
public sealed partial class KernelProgram
{
    /// <summary>The module whose memory holds <paramref name="address"/>, or null.</summary>
    public KernelModule? ModuleAt(ulong address)
    {
        foreach (var m in Modules)
        {
            if (m.Contains(address))
            {
                return m;
            }
        }

        return null;
    }

    /// <summary>
    /// The symbol at or below <paramref name="address"/> (crash's symbol+offset): a module's when the address
    /// is in a module (<paramref name="module"/> is then set), else the kernel's.
    /// </summary>
    public bool TryLookupSymbol(ulong address, out SymbolHit hit, out KernelModule? module)
    {
        module = ModuleAt(address);
        if (module is not null && module.Symbols.TryLookup(address, out hit))
        {
            return true;
        }

        module = null;
        return Symbols.TryLookup(address, out hit);
    }

    /// <inheritdoc/>
    public bool TryGetSymbolAddress(string name, out ulong address)
    {
        bool found = TryGetSymbol(name, out var symbol, out _);
        address = found ? symbol.Address : 0;
        return found;
    }

    /// <summary>A symbol by name: the kernel's first, then the modules' in list order (<paramref name="module"/> says whose).</summary>
    public bool TryGetSymbol(string name, out Symbol symbol, out KernelModule? module)
    {
        module = null;
        if (Symbols.TryGetSymbol(name, out symbol))
        {
            return true;
        }

        foreach (var m in Modules)
        {
            if (m.Symbols.TryGetSymbol(name, out symbol))
            {
                module = m;
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The vmlinux BTF: the vmlinux's .BTF section when there is a vmlinux with one, else the kernel's own
    /// copy between __start_BTF and __stop_BTF in the dump (CONFIG_DEBUG_INFO_BTF). Problems become warnings.
    /// </summary>
    private void LoadTypes()
    {
        if (Vmlinux is not null)
        {
            try
            {
                if (BtfLoader.FromElf(Vmlinux) is { } data)
                {
                    Btf = new BtfTypeSource(data);
                }
            }
            catch (KdxException e)
            {
                _warnings.Add($"{Vmlinux.Name}: its .BTF cannot be used: {e.Message}");
            }
        }

        bool inDump = Symbols.TryGetAddress("__start_BTF", out ulong start) & Symbols.TryGetAddress("__stop_BTF", out ulong stop);
        if (Btf is null && inDump)
        {
            try
            {
                Btf = new BtfTypeSource(BtfLoader.FromMemory(Kernel, start, stop, $"BTF in {Dump.Path} at {start:x}", null, Dump.Options.Limits));
            }
            catch (KdxException e)
            {
                _warnings.Add($"the kernel's BTF cannot be read from the dump: {e.Message}");
            }
        }

        if (Btf is not null)
        {
            Types.Add(Btf);
        }
        else if (Vmlinux is null && !inDump)
        {
            _warnings.Add("no type information: the kernel has no BTF in the dump (__start_BTF, CONFIG_DEBUG_INFO_BTF); give a vmlinux with debuginfo");
        }
    }

    /// <summary>The loaded modules, read with the types; their BTF joins <see cref="Types"/> after the vmlinux's.</summary>
    private void LoadModules()
    {
        if (Types.Sources.Count == 0)
        {
            return;
        }

        var warnings = new List<string>();
        Modules = ModuleListReader.Read(this, Btf, Dump.Options.Limits, warnings);
        _warnings.AddRange(warnings);
        foreach (var m in Modules)
        {
            if (m.Btf is not null)
            {
                Types.Add(m.Btf);
            }
        }
    }
}
