using Kdx.Core.Linux.Modules;
using Kdx.Core.Model;

namespace Kdx.Commands.Symbols;

/// <summary>The order crash keeps symbols in: the kernel's (<see cref="CrashKernelSymbols"/>), then each module's, modules by base address.</summary>
internal static class SymbolOrder
{
    /// <summary>The modules by base address (crash sorts its load_modules so: symbols.c compare_mods).</summary>
    public static IEnumerable<KernelModule> ModulesByBase(KernelProgram program) => program.Modules.OrderBy(m => m.Base);

    /// <summary>The entry just before <paramref name="entry"/> in its table (symbols.c prev_symbol), or null at the start.</summary>
    public static SymbolEntry? Previous(CrashSymbolView view, SymbolEntry entry)
    {
        if (entry.Index <= 0)
        {
            return null;
        }

        return entry.Module is { } m ? view.ModuleEntry(m, entry.Index - 1) : view.KernelEntry(entry.Index - 1);
    }

    /// <summary>The first entry after <paramref name="entry"/> at a higher address (symbols.c next_symbol), or null.</summary>
    public static SymbolEntry? Next(CrashSymbolView view, SymbolEntry entry)
    {
        int count = entry.Module is { } module ? view.ModuleSymbols(module).Count : view.Kernel.Count;
        for (int i = entry.Index + 1; i < count; i++)
        {
            var next = entry.Module is { } m ? view.ModuleEntry(m, i) : view.KernelEntry(i);
            if (next.Symbol.Address > entry.Symbol.Address)
            {
                return next;
            }
        }

        return null;
    }
}
