using System.Buffers.Binary;
using System.Globalization;
using Kdx.Core.Debug.Btf;
using Kdx.Core.Debug.Kallsyms;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Symbols;
using Kdx.Core.Types;

namespace Kdx.Core.Linux.Modules;

/// <summary>A module's kallsyms and BTF.</summary>
internal sealed partial class ModuleListReader
{
    /// <summary>sizeof(Elf64_Sym).</summary>
    private const int SymbolSize = 24;

    /// <summary>STB_GLOBAL, the binding in the high nibble of st_info.</summary>
    private const int StbGlobal = 1;

    /// <summary>
    /// The module's kallsyms (kernel/module/kallsyms.c): <c>mod-&gt;kallsyms</c> points at a
    /// <c>struct mod_kallsyms</c> with an Elf_Sym array, its string table and, since the type letters got
    /// their own array, <c>typetab</c> (older kernels kept the letter in st_info). After the module's init
    /// it is the core table the kernel keeps: defined symbols only, values already relocated.
    /// </summary>
    private SymbolTable Symbols(KObject module)
    {
        var kallsyms = module["kallsyms"];
        if (kallsyms.IsNull)
        {
            return new SymbolTable([], [], [], []);
        }

        ulong symtab = kallsyms["symtab"].ToUInt64();
        ulong count = kallsyms["num_symtab"].ToUInt64();
        ulong strtab = kallsyms["strtab"].ToUInt64();
        ulong typetab = kallsyms.HasMember("typetab") ? kallsyms["typetab"].ToUInt64() : 0;
        if (count > (ulong)_limits.MaxSymbols)
        {
            throw new KdxException(string.Create(CultureInfo.InvariantCulture, $"mod_kallsyms at {kallsyms.ToUInt64():x} has {count} symbols (the limit is {_limits.MaxSymbols})"));
        }

        int n = (int)count;
        var raw = new byte[n * SymbolSize];
        _program.Memory.ReadExactly(symtab, raw, "mod_kallsyms.symtab");
        var letters = new byte[typetab == 0 ? 0 : n];
        if (typetab != 0)
        {
            _program.Memory.ReadExactly(typetab, letters, "mod_kallsyms.typetab");
        }

        uint lastName = 0;
        for (int i = 1; i < n; i++)
        {
            lastName = Math.Max(lastName, BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(i * SymbolSize)));
        }

        var strings = new MemoryWindow(_program.Memory, strtab, (int)lastName + 256, (int)lastName + KallsymsNames.MaxNameLength, "mod_kallsyms.strtab");
        if (!strings.Ensure((int)lastName + KallsymsNames.MaxNameLength) && !strings.Ensure((int)lastName + 1))
        {
            throw strings.Failure((int)lastName, "the last symbol name");
        }

        var names = new List<string>(n);
        var addresses = new List<ulong>(n);
        var sizes = new List<ulong>(n);
        var types = new List<char>(n);
        for (int i = 1; i < n; i++)
        {
            var sym = raw.AsSpan(i * SymbolSize, SymbolSize);
            var text = strings.Data[(int)BinaryPrimitives.ReadUInt32LittleEndian(sym)..];
            int end = text.IndexOf((byte)0);
            if (end <= 0)
            {
                continue; // no name (section symbols), or one that runs off what could be read
            }

            // elf_type() (kernel/module/kallsyms.c) stores nm's letter in lower case; as nm and crash do,
            // a global symbol (STB_GLOBAL in st_info) gets it in upper case.
            char letter = (char)(typetab != 0 ? letters[i] : sym[4]);
            if (typetab != 0 && sym[4] >> 4 == StbGlobal)
            {
                letter = char.ToUpperInvariant(letter);
            }

            names.Add(System.Text.Encoding.Latin1.GetString(text[..end]));
            addresses.Add(BinaryPrimitives.ReadUInt64LittleEndian(sym[8..]));
            sizes.Add(BinaryPrimitives.ReadUInt64LittleEndian(sym[16..]));
            types.Add(char.IsAsciiLetter(letter) || letter == '?' ? letter : '?');
        }

        return new SymbolTable([.. names], [.. addresses], [.. sizes], [.. types]);
    }

    /// <summary>
    /// The module's BTF, split over the vmlinux's. <c>mod-&gt;btf_data</c> points at the module's .BTF only
    /// while it loads (do_init_module() clears it: the section is not kept); after that the copy the BPF
    /// code made is on the <c>btf_modules</c> list of kernel/bpf/btf.c (struct btf_module → struct btf:
    /// data, data_size).
    /// </summary>
    private BtfTypeSource? Btf(KObject module, string name)
    {
        if (_vmlinuxBtf is null)
        {
            return null;
        }

        BtfBlob? blob = null;
        if (module.HasMember("btf_data") && module["btf_data"].ToUInt64() is var data and not 0)
        {
            blob = new BtfBlob(data, module["btf_data_size"].ToUInt64(), null);
        }
        else if (LoadedBtf().TryGetValue(module.Address, out var loaded))
        {
            blob = loaded;
        }

        if (blob is not { } b || b.Size == 0)
        {
            return null;
        }

        if (b.StartId is { } start && start != (ulong)_vmlinuxBtf.Data.EndId)
        {
            throw new KdxException($"its BTF starts at type id {start}, not after the vmlinux BTF's {_vmlinuxBtf.Data.EndId - 1} types (a distilled base, or another vmlinux)");
        }

        var btf = BtfLoader.FromMemory(_program.Memory, b.Data, b.Data + b.Size, $"BTF of module {name}", _vmlinuxBtf.Data, _limits);
        return new BtfTypeSource(btf, _vmlinuxBtf);
    }

    /// <summary>The btf_modules list, by module address: read once, empty when the kernel has none or its types are unknown.</summary>
    private Dictionary<ulong, BtfBlob> LoadedBtf()
    {
        if (_loadedBtf is not null)
        {
            return _loadedBtf;
        }

        _loadedBtf = [];
        if (!_program.Symbols.TryGetAddress("btf_modules", out ulong head)
            || _program.Types.FindType("btf_module", TypeKind.Struct) is not { IsComplete: true } entry)
        {
            return _loadedBtf;
        }

        ulong listOffset = KObject.OffsetOf(entry, "list");
        try
        {
            foreach (ulong node in ListNodes(head, "btf_modules"))
            {
                var e = KObject.FromAddress(_program, entry, node - listOffset);
                var btf = e["btf"];
                if (!e["module"].IsNull && !btf.IsNull)
                {
                    _loadedBtf.TryAdd(e["module"].ToUInt64(), new BtfBlob(btf["data"].ToUInt64(), btf["data_size"].ToUInt64(), btf.HasMember("start_id") ? btf["start_id"].ToUInt64() : null));
                }
            }
        }
        catch (KdxException e)
        {
            _warnings.Add($"the list of module BTF (btf_modules) cannot be read: {e.Message}");
        }

        return _loadedBtf;
    }
}
