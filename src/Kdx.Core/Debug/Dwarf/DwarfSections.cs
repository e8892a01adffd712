using Kdx.Core.Elf;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// The DWARF sections of a file. A vmlinux's uncompressed sections are views of the mapped file (no
/// copy); compressed sections are inflated; a relocatable module's sections are copied and relocated
/// (<see cref="ModuleRelocations"/>). Missing sections are empty.
/// </summary>
internal sealed class DwarfSections
{
    private static readonly string[] Names =
    [
        ".debug_info", ".debug_types", ".debug_abbrev", ".debug_str", ".debug_line_str", ".debug_str_offsets", ".debug_addr",
        ".debug_rnglists", ".debug_ranges", ".debug_loclists", ".debug_loc", ".debug_line", ".debug_aranges",
    ];

    private readonly Dictionary<string, DwarfSection> _byName;

    private DwarfSections(string file, Dictionary<string, DwarfSection> byName)
    {
        File = file;
        _byName = byName;
        foreach (var name in Names)
        {
            _byName.TryAdd(name, DwarfSection.Empty(file, name));
        }
    }

    /// <summary>The file name for messages.</summary>
    public string File { get; }

    public DwarfSection Info => _byName[".debug_info"];

    public DwarfSection Types => _byName[".debug_types"];

    public DwarfSection Abbrev => _byName[".debug_abbrev"];

    public DwarfSection Str => _byName[".debug_str"];

    public DwarfSection LineStr => _byName[".debug_line_str"];

    public DwarfSection StrOffsets => _byName[".debug_str_offsets"];

    public DwarfSection Addr => _byName[".debug_addr"];

    public DwarfSection Rnglists => _byName[".debug_rnglists"];

    public DwarfSection Ranges => _byName[".debug_ranges"];

    public DwarfSection Loclists => _byName[".debug_loclists"];

    public DwarfSection Loc => _byName[".debug_loc"];

    public DwarfSection Line => _byName[".debug_line"];

    public DwarfSection Aranges => _byName[".debug_aranges"];

    /// <summary>The section names the reader uses.</summary>
    public static IReadOnlyList<string> SectionNames => Names;

    /// <summary>Sections given as bytes (tests, fuzzing).</summary>
    public static DwarfSections FromBytes(string file, IReadOnlyDictionary<string, byte[]> sections)
    {
        var map = new Dictionary<string, DwarfSection>(StringComparer.Ordinal);
        foreach (var (name, bytes) in sections)
        {
            map[name] = new DwarfSection(file, name, bytes);
        }

        return new DwarfSections(file, map);
    }

    /// <summary>
    /// The DWARF sections of <paramref name="elf"/>. A relocatable file (a module) has its .rela.debug_*
    /// relocations applied, with its allocated sections at <paramref name="sectionAddresses"/> (by section
    /// name; others are laid out one after another from 0, as an unloaded module).
    /// </summary>
    public static DwarfSections FromElf(ElfFile elf, IReadOnlyDictionary<string, ulong>? sectionAddresses = null)
    {
        bool relocatable = elf.Header.Type == ElfConstants.EtRel;
        var layout = relocatable ? ModuleRelocations.Layout(elf, sectionAddresses) : null;
        var map = new Dictionary<string, DwarfSection>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            var section = elf.FindSection(name);
            if (section is null || !section.HasContents)
            {
                continue;
            }

            if (section.Size > int.MaxValue)
            {
                throw new Kdx.Core.Dumps.DumpFormatException(elf.Name, (long)Math.Min(section.Offset, long.MaxValue), $"section {name} is {section.Size} bytes, more than the 2 GiB a DWARF section may have here");
            }

            ReadOnlyMemory<byte> data;
            if (relocatable)
            {
                var bytes = elf.ReadSectionBytes(section);
                ModuleRelocations.Apply(elf, section, bytes, layout!);
                data = bytes;
            }
            else if (elf.Source is Kdx.Core.IO.MappedFile && elf.TryGetSectionSpan(section, out var span))
            {
                // Only a file mapping has a stable address; spans over managed arrays must be copied.
                data = new MappedMemory(span).Memory;
            }
            else
            {
                data = elf.ReadSectionBytes(section);
            }

            map[name] = new DwarfSection(elf.Name, name, data);
        }

        return new DwarfSections(elf.Name, map);
    }
}
