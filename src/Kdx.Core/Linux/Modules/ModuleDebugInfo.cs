using Kdx.Core.Debug.Dwarf;
using Kdx.Core.Dumps;
using Kdx.Core.Elf;
using Kdx.Core.Symbols;

namespace Kdx.Core.Linux.Modules;

/// <summary>
/// A module's object file (.ko) loaded for a module of the dump, as crash's <c>mod -s</c> loads one: its
/// symbols with nm's letters and its DWARF (types and line numbers), both at the addresses the kernel put
/// its sections at. Made by <see cref="Model.KernelProgram.LoadModuleDebugInfo"/>.
/// </summary>
public sealed class ModuleDebugInfo : IDisposable
{
    private readonly (ulong Start, ulong End)[] _code;

    private ModuleDebugInfo(KernelModule module, string path, ElfFile file, DwarfTypeSource? dwarf, SymbolTable symbols, (ulong, ulong)[] code, IReadOnlyDictionary<string, ulong> sections)
    {
        SectionAddresses = sections;
        Module = module;
        Path = path;
        File = file;
        Dwarf = dwarf;
        Symbols = symbols;
        _code = code;
    }

    /// <summary>The module of the dump.</summary>
    public KernelModule Module { get; }

    /// <summary>The object file's path, as given.</summary>
    public string Path { get; }

    /// <summary>The object file.</summary>
    public ElfFile File { get; }

    /// <summary>Its DWARF, relocated to the module's run-time section addresses; null when the file has none (a stripped .ko).</summary>
    public DwarfTypeSource? Dwarf { get; }

    /// <summary>The file's symbols (nm's), at run-time addresses; those of sections the kernel did not keep are left out.</summary>
    public SymbolTable Symbols { get; }

    /// <summary>Where the kernel put each section of the file (section name → run-time address).</summary>
    public IReadOnlyDictionary<string, ulong> SectionAddresses { get; }

    /// <summary>Whether <paramref name="address"/> is in one of the module's code sections (SHF_EXECINSTR).</summary>
    public bool IsCode(ulong address) => _code.Any(r => address >= r.Start && address < r.End);

    /// <summary>
    /// Opens <paramref name="path"/> for <paramref name="module"/>: a relocatable ELF file (ET_REL) whose
    /// sections are placed at <paramref name="sectionAddresses"/> (section name → run-time address). Throws
    /// <see cref="KdxException"/> when the file is not a module object.
    /// </summary>
    public static ModuleDebugInfo Open(KernelModule module, string path, IReadOnlyDictionary<string, ulong> sectionAddresses, ParseLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(sectionAddresses);
        var file = ElfFile.Open(path, limits);
        DwarfTypeSource? dwarf = null;
        try
        {
            if (file.Header.Type != ElfConstants.EtRel)
            {
                throw new KdxException($"{path}: not a kernel module object file (ELF type {file.Header.Type}, not ET_REL)");
            }

            dwarf = DwarfTypeSource.OpenModule(file, sectionAddresses);
            if (dwarf.HasDebugInfo)
            {
                dwarf.StartIndexing();
            }
            else
            {
                dwarf.Dispose();
                dwarf = null;
            }

            var code = file.Sections
                .Where(s => s.IsAlloc && (s.Flags & ElfConstants.ShfExecInstr) != 0 && sectionAddresses.ContainsKey(s.Name))
                .Select(s => (sectionAddresses[s.Name], sectionAddresses[s.Name] + s.Size)).ToArray();
            return new ModuleDebugInfo(module, path, file, dwarf, RunTimeSymbols(file, sectionAddresses), code, sectionAddresses);
        }
        catch
        {
            dwarf?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>nm's symbols of the object file, each moved to its section's run-time address.</summary>
    private static SymbolTable RunTimeSymbols(ElfFile file, IReadOnlyDictionary<string, ulong> sectionAddresses)
    {
        var names = new List<string>();
        var addresses = new List<ulong>();
        var sizes = new List<ulong>();
        var types = new List<char>();
        foreach (var s in file.ReadSymbols())
        {
            if (!NmSymbolClass.IsListed(s) || s.IsUndefined || s.IsAbsolute || s.SectionIndex >= (uint)file.Sections.Count)
            {
                continue;
            }

            if (!sectionAddresses.TryGetValue(file.Sections[(int)s.SectionIndex].Name, out ulong at))
            {
                continue;
            }

            names.Add(s.Name);
            addresses.Add(unchecked(at + s.Value));
            sizes.Add(s.Size);
            types.Add(NmSymbolClass.Of(s, file.Sections));
        }

        return new SymbolTable(names.ToArray(), addresses.ToArray(), sizes.ToArray(), types.ToArray());
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Dwarf?.Dispose();
        File.Dispose();
    }
}
