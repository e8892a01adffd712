using Kdx.Core.Elf;

namespace Kdx.Core.Symbols;

/// <summary>
/// The one-letter symbol class that <c>nm</c> prints (and System.map, /proc/kallsyms and crash show):
/// T text, D data, B bss, R read-only, A absolute, W/V weak, U undefined …; lower case for local symbols.
/// Derived from the ELF symbol and its section's flags the way binutils 2.40 does it (bfd/syms.c
/// bfd_decode_symclass and decode_section_type; bfd/elf.c turns sh_flags into section flags).
/// </summary>
public static class NmSymbolClass
{
    /// <summary>
    /// Whether nm lists the symbol at all: not entry 0, and not a section or file symbol (BSF_DEBUGGING,
    /// shown only by <c>nm -a</c>).
    /// </summary>
    public static bool IsListed(in ElfSymbol symbol) =>
        symbol.Index != 0 && symbol.Type != ElfSymbolType.Section && symbol.Type != ElfSymbolType.File;

    /// <summary>The letter nm prints for <paramref name="symbol"/> of a file whose sections are <paramref name="sections"/>.</summary>
    public static char Of(in ElfSymbol symbol, IReadOnlyList<ElfSection> sections)
    {
        bool weak = symbol.Binding == ElfSymbolBinding.Weak;
        bool objectLike = symbol.Type is ElfSymbolType.Object or ElfSymbolType.Common;
        if (symbol.SectionIndex == ElfConstants.ShnCommon)
        {
            return 'C';
        }

        if (symbol.SectionIndex == ElfConstants.ShnUndef)
        {
            return weak ? (objectLike ? 'v' : 'w') : 'U';
        }

        if (symbol.Type == ElfSymbolType.GnuIfunc)
        {
            return 'i';
        }

        if (weak)
        {
            return objectLike ? 'V' : 'W';
        }

        if (symbol.Binding == ElfSymbolBinding.GnuUnique)
        {
            return 'u';
        }

        if (symbol.Binding is not (ElfSymbolBinding.Global or ElfSymbolBinding.Local))
        {
            return '?';
        }

        // bfd puts SHN_ABS, other reserved indexes and indexes of missing sections in its absolute section.
        char c = symbol.SectionIndex < (uint)sections.Count && symbol.SectionIndex < ElfConstants.ShnLoReserve
            ? OfSection(sections[(int)symbol.SectionIndex])
            : 'a';
        return symbol.Binding == ElfSymbolBinding.Global ? char.ToUpperInvariant(c) : c;
    }

    /// <summary>
    /// The letter of a symbol defined in <paramref name="section"/> (lower case): t code, d writable data,
    /// r read-only data, b no contents (SHT_NOBITS), N debugging, n other read-only, ? anything else.
    /// </summary>
    public static char OfSection(ElfSection section)
    {
        // bfd/elf.c _bfd_elf_make_section_from_shdr: SEC_LOAD = SHF_ALLOC and not SHT_NOBITS;
        // SEC_CODE = SHF_EXECINSTR; SEC_DATA = loaded and not code; SEC_READONLY = not SHF_WRITE.
        bool hasContents = section.Type != ElfConstants.ShtNobits;
        bool alloc = (section.Flags & ElfConstants.ShfAlloc) != 0;
        bool code = (section.Flags & ElfConstants.ShfExecInstr) != 0;
        bool readOnly = (section.Flags & ElfConstants.ShfWrite) == 0;
        bool data = !code && alloc && hasContents;
        if (code)
        {
            return 't';
        }

        if (data)
        {
            return readOnly ? 'r' : 'd';
        }

        if (!hasContents)
        {
            return 'b';
        }

        if (IsDebugging(section.Name))
        {
            return 'N';
        }

        return readOnly ? 'n' : '?';
    }

    /// <summary>The section names bfd flags SEC_DEBUGGING (bfd/elf.c).</summary>
    private static bool IsDebugging(string name) =>
        name.StartsWith(".debug", StringComparison.Ordinal)
        || name.StartsWith(".gnu.debuglto_.debug_", StringComparison.Ordinal)
        || name.StartsWith(".gnu.linkonce.wi.", StringComparison.Ordinal)
        || name.StartsWith(".zdebug", StringComparison.Ordinal)
        || name.StartsWith(".line", StringComparison.Ordinal)
        || name.StartsWith(".stab", StringComparison.Ordinal);
}
