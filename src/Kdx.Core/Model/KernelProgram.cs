using Kdx.Core.Arch.X86_64;
using Kdx.Core.Debug.Dwarf;
using Kdx.Core.Dumps;
using Kdx.Core.Elf;
using Kdx.Core.Memory;
using Kdx.Core.Symbols;

namespace Kdx.Core.Model;

/// <summary>
/// The crashed kernel as a program: its physical memory (the dump), its virtual memory (x86_64 page
/// tables and the kernel layout), and its symbols (a vmlinux, a System.map, or what the dump itself
/// carries). Commands, scripts and tests all start here.
/// </summary>
public sealed class KernelProgram : IDisposable
{
    private readonly List<string> _warnings = [];

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

    /// <summary>Where <see cref="Symbols"/> came from: a file path, or "VMCOREINFO".</summary>
    public string SymbolSource { get; }

    /// <summary>The debuginfo vmlinux, when one was given.</summary>
    public ElfFile? Vmlinux { get; }

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
        if (symbolFile is null)
        {
            return new KernelProgram(dump, VmcoreInfoSymbols(dump.VmcoreInfo), "VMCOREINFO", null);
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

    /// <summary>Finds a symbol's run-time address.</summary>
    public ulong? AddressOf(string name) => Symbols.TryGetAddress(name, out var a) ? a : null;

    /// <inheritdoc/>
    public void Dispose()
    {
        Dwarf?.Dispose();
        Vmlinux?.Dispose();
        Dump.Dispose();
    }

    /// <summary>
    /// The KASLR offset: VMCOREINFO's KERNELOFFSET, else where the page tables or the dump's segments
    /// put the kernel image, less the image's link-time start (_text rounded down to 2 MiB).
    /// </summary>
    private static long KaslrOffset(DumpFile dump, SymbolTable linkTime)
    {
        if (dump.VmcoreInfo?.KernelOffset is { } offset)
        {
            return unchecked((long)offset);
        }

        var layout = X86_64LayoutDetector.Detect(dump);
        if (layout.KernelImageStart is { } start && (linkTime.TryGetAddress("_text", out var text) || linkTime.TryGetAddress("_stext", out text)))
        {
            return unchecked((long)(start - (text & ~0x1F_FFFFUL)));
        }

        return 0;
    }

    /// <summary>The symbols VMCOREINFO lists (SYMBOL(name)=address), already at run-time addresses.</summary>
    private static SymbolTable VmcoreInfoSymbols(VmcoreInfo? info)
    {
        var names = new List<string>();
        var addresses = new List<ulong>();
        if (info is not null)
        {
            foreach (var key in info.Keys)
            {
                if (key.StartsWith("SYMBOL(", StringComparison.Ordinal) && key.EndsWith(')') && info.Hex(key) is { } a)
                {
                    names.Add(key[7..^1]);
                    addresses.Add(a);
                }
            }
        }

        var types = new char[names.Count];
        Array.Fill(types, '?');
        return new SymbolTable(names.ToArray(), addresses.ToArray(), new ulong[names.Count], types);
    }

    /// <summary>
    /// Checks that the vmlinux is the kernel that crashed, as crash does: the linux_banner string in the
    /// dump must equal the one in the vmlinux.
    /// </summary>
    private void CheckBanner()
    {
        if (Vmlinux is null || !Symbols.TryGetSymbol("linux_banner", out var banner))
        {
            return;
        }

        string? fileBanner = ReadVmlinuxString(Vmlinux, unchecked(banner.Address - (ulong)Symbols.Relocation), 512);
        string dumpBanner;
        try
        {
            dumpBanner = Kernel.ReadCString(banner.Address, 512, "linux_banner");
        }
        catch (MemoryFaultException e)
        {
            _warnings.Add($"cannot check that {Vmlinux.Name} matches the dump: {e.Message}");
            return;
        }

        if (fileBanner is not null && fileBanner != dumpBanner)
        {
            throw new KdxException($"{Vmlinux.Name} and {Dump.Path} do not match: the dump's linux_banner is \"{dumpBanner.TrimEnd()}\"");
        }
    }

    private static string? ReadVmlinuxString(ElfFile elf, ulong linkAddress, int max)
    {
        foreach (var s in elf.Sections)
        {
            if (s.IsAlloc && s.HasContents && linkAddress >= s.Address && linkAddress - s.Address < s.Size)
            {
                var bytes = new byte[(int)Math.Min((ulong)max, s.Address + s.Size - linkAddress)];
                using var src = elf.OpenSection(s);
                int n = src.Read((long)(linkAddress - s.Address), bytes);
                int end = Array.IndexOf(bytes, (byte)0, 0, n);
                return System.Text.Encoding.Latin1.GetString(bytes, 0, end < 0 ? n : end);
            }
        }

        return null;
    }
}
