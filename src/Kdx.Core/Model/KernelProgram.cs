using Kdx.Core.Arch.X86_64;
using Kdx.Core.Debug.Btf;
using Kdx.Core.Debug.Dwarf;
using Kdx.Core.Dumps;
using Kdx.Core.Elf;
using Kdx.Core.Linux.Modules;
using Kdx.Core.Memory;
using Kdx.Core.Symbols;
using Kdx.Core.Types;

namespace Kdx.Core.Model;

/// <summary>
/// The crashed kernel as a program: its physical memory (the dump), its virtual memory (x86_64 page
/// tables and the kernel layout), its symbols (a vmlinux, a System.map, or the kernel's own kallsyms in the
/// dump), its types (an ordered list of sources: the vmlinux's BTF, or the kernel's BTF in the dump, then
/// the modules' BTF) and its loaded modules. Commands, scripts and tests all start here.
/// </summary>
public sealed partial class KernelProgram : IProgram, IDisposable
{
    private readonly List<string> _warnings = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Type, object> _derived = new();

    private KernelProgram(DumpFile dump, SymbolTable symbols, string symbolSource, ElfFile? vmlinux, DwarfTypeSource? dwarf = null)
    {
        Dump = dump;
        Symbols = symbols;
        SymbolSource = symbolSource;
        Vmlinux = vmlinux;
        Dwarf = dwarf;
        Layout = X86_64LayoutDetector.Detect(dump, name => symbols.TryGetAddress(name, out var a) ? a : null);
        Kernel = new KernelVirtualMemory(dump, Layout);
    }

    /// <summary>The dump.</summary>
    public DumpFile Dump { get; }

    /// <summary>VMCOREINFO, when the dump has it.</summary>
    public VmcoreInfo? VmcoreInfo => Dump.VmcoreInfo;

    /// <summary>Physical memory.</summary>
    public IMemoryReader Physical => Dump;

    /// <summary>The kernel's virtual memory.</summary>
    public KernelVirtualMemory Kernel { get; }

    /// <summary>Where the kernel is in memory and how each value was found.</summary>
    public X86_64KernelLayout Layout { get; }

    /// <summary>Kernel symbols at their run-time (KASLR-relocated) addresses.</summary>
    public SymbolTable Symbols { get; }

    /// <summary>Where <see cref="Symbols"/> came from: a file path, "kallsyms" (the dump's memory), or "VMCOREINFO".</summary>
    public string SymbolSource { get; }

    /// <summary>The debuginfo vmlinux, when one was given.</summary>
    public ElfFile? Vmlinux { get; }

    /// <summary>
    /// The kernel's types: the sources asked in order. Opening adds the vmlinux's .BTF (or, without one,
    /// the kernel's BTF read from the dump) and then each module's BTF; a DWARF source goes first
    /// (<see cref="TypeCollection.AddFirst"/>) when the vmlinux has one.
    /// </summary>
    public TypeCollection Types { get; } = new([]);

    /// <inheritdoc/>
    IMemoryReader IProgram.Memory => Kernel;

    /// <summary>The number of possible CPUs (the per-CPU offsets found), 0 when unknown.</summary>
    public int CpuCount => Layout.PerCpuOffsets.Count;

    /// <summary>The vmlinux BTF (from the vmlinux file or the dump), when there is one: the base of module BTF.</summary>
    public BtfTypeSource? Btf { get; private set; }

    /// <summary>The loaded modules, in the order of the kernel's module list (the last loaded first).</summary>
    public IReadOnlyList<KernelModule> Modules { get; private set; } = [];

    /// <summary>
    /// The vmlinux's DWARF (types, variables, functions, line numbers), when the vmlinux has it. Its index
    /// starts building in the background when the program is opened. Addresses it takes and gives are
    /// link-time addresses: subtract <see cref="SymbolTable.Relocation"/> from run-time ones.
    /// </summary>
    public DwarfTypeSource? Dwarf { get; }

    /// <summary>Things the user should know about how the program was opened (printed by the banner).</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>The page size of the crashed kernel.</summary>
    public int PageSize => Dump.PageSize;

    /// <summary>
    /// Opens a dump (one file or a split set) with an optional vmlinux or System.map. Throws
    /// <see cref="KdxException"/> naming the file and the reason when something cannot be opened, or
    /// when the vmlinux is not the kernel that crashed.
    /// </summary>
    public static KernelProgram Open(IReadOnlyList<string> dumpFiles, string? symbolFile = null, DumpOpenOptions? options = null)
    {
        var dump = DumpFiles.Open(dumpFiles, options);
        try
        {
            return Open(dump, symbolFile);
        }
        catch
        {
            dump.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Builds a program over an open dump (the program owns it) and an optional symbol file. A vmlinux
    /// with DWARF starts indexing at once (<paramref name="dwarfOptions"/>; by default with the index
    /// cache under <see cref="DwarfOptions.UserCacheDirectory"/>).
    /// </summary>
    public static KernelProgram Open(DumpFile dump, string? symbolFile = null, DwarfOptions? dwarfOptions = null)
    {
        var program = OpenSymbols(dump, symbolFile, dwarfOptions);
        try
        {
            program.LoadTypes();
            program.LoadModules();

            // DWARF answers first once it is there; modules were read with BTF so opening need not wait
            // for the index.
            if (program.Dwarf is not null)
            {
                program.Types.AddFirst(program.Dwarf);
            }

            return program;
        }
        catch
        {
            program.Dwarf?.Dispose();
            program.Vmlinux?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The symbols decide the layout (page_offset_base and the other bases are kernel variables): a vmlinux
    /// or System.map relocated by the KASLR offset, or else kallsyms read through the kernel-image mapping
    /// that VMCOREINFO alone gives (KERNELOFFSET, phys_base, init_top_pgt).
    /// </summary>
    private static KernelProgram OpenSymbols(DumpFile dump, string? symbolFile, DwarfOptions? dwarfOptions)
    {
        if (symbolFile is null)
        {
            var (symbols, source, warning) = SymbolsFromDump(dump);
            var fromDump = new KernelProgram(dump, symbols, source, null);
            if (warning is not null)
            {
                fromDump._warnings.Add(warning);
            }

            return fromDump;
        }

        if (DumpFiles.Identify(symbolFile) == FileKind.SystemMap)
        {
            var map = SymbolTable.FromSystemMap(symbolFile);
            return new KernelProgram(dump, map.Relocate(KaslrOffset(dump, map)), symbolFile, null);
        }

        var elf = ElfFile.Open(symbolFile, dump.Options.Limits);
        DwarfTypeSource? dwarf = null;
        try
        {
            // Index the DWARF while the symbols and the kernel layout are read.
            dwarf = DwarfTypeSource.Open(elf, dwarfOptions ?? new DwarfOptions { IndexCacheDirectory = DwarfOptions.UserCacheDirectory() });
            if (dwarf.HasDebugInfo)
            {
                dwarf.StartIndexing();
            }
            else
            {
                dwarf.Dispose();
                dwarf = null;
            }

            var table = SymbolTable.FromElf(elf);
            if (table.Count == 0)
            {
                throw new KdxException($"{symbolFile}: has no symbol table (.symtab)");
            }

            var program = new KernelProgram(dump, table.Relocate(KaslrOffset(dump, table)), symbolFile, elf, dwarf);
            program.CheckBanner();
            return program;
        }
        catch
        {
            dwarf?.Dispose();
            elf.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public ulong PerCpuAddress(ulong address, int cpu) => Layout.PerCpuAddress(address, cpu);

    /// <summary>Finds a symbol's run-time address: the kernel's, else the first module's that has it.</summary>
    public ulong? AddressOf(string name) => TryGetSymbol(name, out var s, out _) ? s.Address : null;

    /// <summary>
    /// A value computed from the program once and kept while it lives, one per type (e.g. a command layer's
    /// own index over <see cref="Symbols"/>): made by <paramref name="create"/> on first use. Only for values
    /// that do not change while the program is open.
    /// </summary>
    public T Derived<T>(Func<KernelProgram, T> create)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(create);
        return (T)_derived.GetOrAdd(typeof(T), _ => create(this));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        DisposeModuleDebugInfo();
        Dwarf?.Dispose();
        Vmlinux?.Dispose();
        Dump.Dispose();
    }
}
