using Kdx.Core.Arch.X86_64;
using Kdx.Core.Debug.Kallsyms;
using Kdx.Core.Dumps;
using Kdx.Core.Elf;
using Kdx.Core.Memory;
using Kdx.Core.Symbols;

namespace Kdx.Core.Model;

/// <summary>Where the kernel's symbols come from.</summary>
public sealed partial class KernelProgram
{
    /// <summary>
    /// Without a symbol file: kallsyms from the dump (VMCOREINFO says where its tables are), read through the
    /// kernel-image mapping that VMCOREINFO alone gives; when that fails, only the symbols VMCOREINFO lists,
    /// with a warning saying why.
    /// </summary>
    private static (SymbolTable Symbols, string Source, string? Warning) SymbolsFromDump(DumpFile dump)
    {
        var info = dump.VmcoreInfo;
        var fallback = VmcoreInfoSymbols(info);
        string only = $"only the {fallback.Count} symbols VMCOREINFO lists are known";
        if (KallsymsLocations.FromVmcoreInfo(info) is not { } locations)
        {
            return (fallback, "VMCOREINFO", $"no kallsyms: {KallsymsLocations.Missing(info)}; {only}");
        }

        try
        {
            var boot = new KernelVirtualMemory(dump, X86_64LayoutDetector.Detect(dump));
            var table = KallsymsReader.Read(boot, locations, info!.Symbol, unchecked((long)(info!.KernelOffset ?? 0)), dump.Options.Limits);
            return (table.Symbols, "kallsyms", null);
        }
        catch (KdxException e)
        {
            return (fallback, "VMCOREINFO", $"cannot read kallsyms from the dump: {e.Message}; {only}");
        }
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
