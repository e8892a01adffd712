using Kdx.Core.Linux.Modules;
using Kdx.Core.Model;
using Kdx.Core.Symbols;

namespace Kdx.Commands.Symbols;

/// <summary>
/// A module's symbols as crash lists them (symbols.c store_module_kallsyms_v2, store_load_module_symbols).
/// From the kernel's kallsyms of the module: the letter is t/T for functions and "?" otherwise (crash reads
/// st_info, not the kernel's type letters), and at one address the kallsyms order stays (local symbols come
/// first in an ELF symbol table). Once the module's .ko is loaded: nm's letters from the .ko, the .ko's
/// section symbols whose names do not start with '.' for sections that hold a kallsyms symbol (e.g.
/// "__param"), and nm's order (by address, then name). Names lose gcc's clone suffixes.
/// </summary>
internal static class CrashModuleSymbols
{
    /// <summary>The module's symbols in crash's order, their letters crash's.</summary>
    public static IReadOnlyList<Symbol> Build(KernelProgram program, KernelModule module)
    {
        var info = program.DebugInfoOf(module);
        var symbols = new List<(Symbol Symbol, int Order)>(module.Symbols.Count + 8);
        for (int i = 0; i < module.Symbols.Count; i++)
        {
            var s = module.Symbols[i];
            char letter = s.Type is 't' or 'T' ? s.Type : '?';
            if (info is not null && FileLetter(info, s) is { } fromFile)
            {
                letter = fromFile;
            }

            symbols.Add((s with { Name = CrashKernelSymbols.StripCloneSuffix(s.Name), Type = letter }, s.IsGlobal ? 1 : 0));
        }

        if (info is null)
        {
            return [.. symbols.OrderBy(p => p.Symbol.Address).ThenBy(p => p.Order).Select(p => p.Symbol)];
        }

        AddSectionSymbols(info, module, symbols);
        return [.. symbols.Select(p => p.Symbol).OrderBy(s => s.Address).ThenBy(s => s.Name, StringComparer.Ordinal)];
    }

    // The .ko's letter of the same symbol; crash takes none from names that start with '.' (".LC6").
    private static char? FileLetter(ModuleDebugInfo info, Symbol s)
    {
        foreach (var f in info.Symbols.SymbolsAt(s.Address))
        {
            if (f.Name == s.Name && !f.Name.StartsWith('.'))
            {
                return f.Type;
            }
        }

        return null;
    }

    private static void AddSectionSymbols(ModuleDebugInfo info, KernelModule module, List<(Symbol Symbol, int Order)> symbols)
    {
        foreach (var section in info.File.Sections)
        {
            if (!section.IsAlloc || section.Name.StartsWith('.') || section.Name.Length == 0
                || !info.SectionAddresses.TryGetValue(section.Name, out ulong start))
            {
                continue;
            }

            ulong end = start + section.Size;
            if (module.Symbols.Any(s => s.Address >= start && s.Address < end))
            {
                symbols.Add((new Symbol(section.Name, start, 0, NmSymbolClass.OfSection(section)), 0));
            }
        }
    }
}
