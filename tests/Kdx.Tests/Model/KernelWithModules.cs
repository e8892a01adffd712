using System.Buffers.Binary;
using System.Text;
using Kdx.Core.Debug.Btf;
using Kdx.Core.Debug.Kallsyms;
using Kdx.Fuzz;
using Kdx.Tests.Arch.X86_64;
using Kdx.Tests.Debug.Kallsyms;

namespace Kdx.Tests.Model;

/// <summary>
/// A <see cref="FakeKernel"/> a program can open without a vmlinux: kallsyms and BTF in its image, and a
/// module list with modules in the direct map, each with its kallsyms (Elf64_Sym, strings, type letters)
/// and optionally split BTF on the btf_modules list. <c>struct module</c> has the v6.4+ <c>mem[]</c> or the
/// older <c>core_layout</c>/<c>init_layout</c>, with made-up but self-consistent offsets.
/// </summary>
internal sealed class KernelWithModules
{
    public const int ModuleSize = 256;
    private readonly bool _memLayout;
    private readonly bool _withModuleType;
    private readonly List<(string Name, ulong Address)> _kernelSymbols = [];
    private ulong _nextPhysical = 0x3000000;
    private ulong _btfModulesTail;

    public KernelWithModules(bool memLayout, bool withModuleType = true)
    {
        _memLayout = memLayout;
        _withModuleType = withModuleType;
        Kernel = new FakeKernel();
        Btf = new BtfWriter();
        DefineTypes();
        Modules = Kernel.Text + 0x1c20000;
        BtfModules = Kernel.Text + 0x1c20010;
    }

    public FakeKernel Kernel { get; }

    public BtfWriter Btf { get; }

    /// <summary>The address of the kernel's module list head.</summary>
    public ulong Modules { get; }

    /// <summary>The address of the btf_modules list head.</summary>
    public ulong BtfModules { get; }

    public List<ulong> ModuleAddresses { get; } = [];

    public int ListHeadId { get; private set; }

    public byte[]? VmlinuxBtf { get; private set; }

    /// <summary>Symbols the kallsyms table gets besides the fixed ones.</summary>
    public void AddKernelSymbol(string name, ulong address) => _kernelSymbols.Add((name, address));

    /// <summary>Memory in the direct map (zeroed pages of the synthetic dump).</summary>
    public ulong Allocate(int size, out ulong physical)
    {
        physical = _nextPhysical;
        _nextPhysical += (ulong)((size + 0xfff) & ~0xfff);
        return Kernel.PageOffsetBase + physical;
    }

    public void Write(ulong virtualAddress, ReadOnlySpan<byte> data)
    {
        ulong physical = virtualAddress >= Kernel.PageOffsetBase && virtualAddress < Kernel.PageOffsetBase + FakeKernel.RamEnd
            ? virtualAddress - Kernel.PageOffsetBase
            : Kernel.ToPhysical(virtualAddress);
        Kernel.Dump.Write(physical, data);
    }

    public void WriteU64(ulong virtualAddress, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        Write(virtualAddress, b);
    }

    public void WriteU32(ulong virtualAddress, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Write(virtualAddress, b);
    }

    /// <summary>
    /// A module with regions (text base, sizes) and symbols (name, letter, address, size) at a new struct
    /// module; it is linked on the list by <see cref="Finish"/> in the order added.
    /// </summary>
    public ulong AddModule(string name, ulong textBase, (string Name, char Type, ulong Address, ulong Size)[] symbols, bool withTypetab = true)
    {
        ulong module = Allocate(ModuleSize, out _);
        Write(module + 24, Encoding.ASCII.GetBytes(name + "\0"));
        if (_memLayout)
        {
            // mem[MOD_TEXT], mem[MOD_DATA], mem[MOD_RODATA]; the rest empty.
            WriteU64(module + 80, textBase);
            WriteU32(module + 88, 0x1000);
            WriteU64(module + 96, textBase + 0x2000);
            WriteU32(module + 104, 0x2000);
            WriteU64(module + 112, textBase + 0x5000);
            WriteU32(module + 120, 0x1000);
        }
        else
        {
            WriteU64(module + 80, textBase);
            WriteU32(module + 88, 0x4000);
            WriteU64(module + 104, 0); // init_layout freed
        }

        ulong kallsyms = Allocate(32, out _);
        WriteU64(module + (ulong)(_memLayout ? 192 : 128), kallsyms);
        int count = symbols.Length + 1;
        var symtab = new byte[24 * count];
        var strtab = new List<byte> { 0 };
        var typetab = new byte[count];
        for (int i = 1; i < count; i++)
        {
            var s = symbols[i - 1];
            var e = symtab.AsSpan(24 * i);
            BinaryPrimitives.WriteUInt32LittleEndian(e, (uint)strtab.Count);
            // Older kernels kept the letter in st_info; else it holds binding and type (global or local).
            e[4] = withTypetab ? (byte)(char.IsAsciiLetterUpper(s.Type) ? 0x12 : 0x02) : (byte)s.Type;
            BinaryPrimitives.WriteUInt16LittleEndian(e[6..], 2);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], s.Address);
            BinaryPrimitives.WriteUInt64LittleEndian(e[16..], s.Size);
            strtab.AddRange(Encoding.ASCII.GetBytes(s.Name));
            strtab.Add(0);
            typetab[i] = (byte)char.ToLowerInvariant(s.Type);
        }

        ulong symtabAt = Allocate(symtab.Length, out _);
        Write(symtabAt, symtab);
        ulong strtabAt = Allocate(strtab.Count, out _);
        Write(strtabAt, strtab.ToArray());
        WriteU64(kallsyms, symtabAt);
        WriteU32(kallsyms + 8, (uint)count);
        WriteU64(kallsyms + 16, strtabAt);
        if (withTypetab)
        {
            ulong typetabAt = Allocate(count, out _);
            Write(typetabAt, typetab);
            WriteU64(kallsyms + 24, typetabAt);
        }

        ModuleAddresses.Add(module);
        return module;
    }

    /// <summary>Puts split BTF for <paramref name="module"/> on the btf_modules list.</summary>
    public void AddModuleBtf(ulong module, byte[] blob, uint startId)
    {
        ulong data = Allocate(blob.Length, out _);
        Write(data, blob);
        ulong btf = Allocate(16, out _);
        WriteU64(btf, data);
        WriteU32(btf + 8, (uint)blob.Length);
        WriteU32(btf + 12, startId);
        ulong entry = Allocate(40, out _);
        WriteU64(entry + 16, module);
        WriteU64(entry + 24, btf);
        ulong last = ReadLastBtfModule();
        WriteU64(last, entry);
        WriteU64(entry, BtfModules);
        _btfModulesTail = entry;
    }

    /// <summary>
    /// Links the modules, writes the vmlinux BTF and kallsyms into the image and sets VMCOREINFO. Returns the
    /// kallsyms locations.
    /// </summary>
    public KallsymsLocations Finish()
    {
        ulong previous = Modules;
        foreach (ulong m in ModuleAddresses)
        {
            WriteU64(previous == Modules ? Modules : previous + 8, m + 8);
            previous = m;
        }

        WriteU64(previous == Modules ? Modules : previous + 8, Modules);
        if (_btfModulesTail == 0)
        {
            WriteU64(BtfModules, BtfModules);
        }

        VmlinuxBtf = Btf.Build();
        ulong btfStart = Kernel.Text + 0x1400000;
        Write(btfStart, VmlinuxBtf);
        var b = new KallsymsBuilder { Mode = KallsymsAddressMode.AbsolutePerCpu };
        var symbols = new List<(string Name, ulong Address)>
        {
            ("_text", Kernel.Text), ("_stext", Kernel.Text),
            ("__start_BTF", btfStart), ("__stop_BTF", btfStart + (ulong)VmlinuxBtf.Length),
            ("modules", Modules), ("btf_modules", BtfModules), ("_end", Kernel.Text + 0x1e00000),
        };
        symbols.AddRange(Kernel.Symbols.Select(p => (p.Key, p.Value)));
        symbols.AddRange(_kernelSymbols);
        b.Add("cpu_number", 'A', 0x1000, perCpu: true);
        foreach (var (name, address) in symbols.OrderBy(s => s.Address))
        {
            b.Add(name, name == "_text" || name == "_stext" ? 'T' : 'D', address);
        }

        var locations = b.Write(Kernel, Kernel.Text + 0x1000000);
        Kernel.Dump.Info = KallsymsBuilder.VmcoreInfo(Kernel, locations, $"SYMBOL(_stext)={Kernel.Text:x}");
        return locations;
    }

    private ulong ReadLastBtfModule() => _btfModulesTail == 0 ? BtfModules : _btfModulesTail;

    private void DefineTypes()
    {
        var w = Btf;
        int c = w.Int("char", 1, signed: true, isChar: true);
        int i = w.Int("int", 4, signed: true);
        int u = w.Int("unsigned int", 4);
        int ul = w.Int("long unsigned int", 8);
        int voidp = w.Pointer(0);
        int cp = w.Pointer(c);
        ListHeadId = w.NextId + 1;
        int lp = w.Pointer(ListHeadId);
        w.Struct("list_head", 16, ("next", lp, 0, 0), ("prev", lp, 64, 0));
        int name = w.Array(c, u, 56);
        int mk = w.Struct("mod_kallsyms", 32, ("symtab", voidp, 0, 0), ("num_symtab", u, 64, 0), ("strtab", cp, 128, 0), ("typetab", cp, 192, 0));
        int mkp = w.Pointer(mk);
        if (_memLayout)
        {
            w.Enum("mod_mem_type", 4, true, ("MOD_TEXT", 0), ("MOD_DATA", 1), ("MOD_RODATA", 2), ("MOD_RO_AFTER_INIT", 3),
                ("MOD_INIT_TEXT", 4), ("MOD_INIT_DATA", 5), ("MOD_INIT_RODATA", 6), ("MOD_MEM_NUM_TYPES", 7), ("MOD_INVALID", -1));
            int mm = w.Struct("module_memory", 16, ("base", voidp, 0, 0), ("size", u, 64, 0));
            int mem = w.Array(mm, u, 7);
            w.Struct(_withModuleType ? "module" : "not_module", ModuleSize, ("state", i, 0, 0), ("list", ListHeadId, 64, 0), ("name", name, 192, 0), ("mem", mem, 640, 0),
                ("kallsyms", mkp, 1536, 0), ("btf_data_size", u, 1600, 0), ("btf_data", voidp, 1664, 0));
        }
        else
        {
            int layout = w.Struct("module_layout", 24, ("base", voidp, 0, 0), ("size", u, 64, 0), ("text_size", u, 96, 0), ("ro_size", u, 128, 0), ("ro_after_init_size", u, 160, 0));
            w.Struct("module", ModuleSize, ("state", i, 0, 0), ("list", ListHeadId, 64, 0), ("name", name, 192, 0), ("core_layout", layout, 640, 0),
                ("init_layout", layout, 832, 0), ("kallsyms", mkp, 1024, 0), ("btf_data_size", u, 1088, 0), ("btf_data", voidp, 1152, 0));
        }

        int btf = w.Struct("btf", 16, ("data", voidp, 0, 0), ("data_size", u, 64, 0), ("start_id", u, 96, 0));
        int btfp = w.Pointer(btf);
        w.Struct("btf_module", 40, ("list", ListHeadId, 0, 0), ("module", voidp, 128, 0), ("btf", btfp, 192, 0), ("flags", ul, 256, 0));
    }
}
