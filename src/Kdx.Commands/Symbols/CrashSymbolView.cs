using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Elf;
using Kdx.Core.Linux.Modules;
using Kdx.Core.Model;
using Kdx.Core.Symbols;

namespace Kdx.Commands.Symbols;

/// <summary>A symbol of the kernel or of a module (<see cref="Module"/> set), as crash's symbol list holds it.</summary>
/// <param name="Symbol">The symbol, its name without gcc's clone suffix.</param>
/// <param name="Module">The module that has it, or null for the kernel's.</param>
/// <param name="Index">Its index in <see cref="CrashKernelSymbols"/>, or in the module's symbol table.</param>
internal readonly record struct SymbolEntry(Symbol Symbol, KernelModule? Module, int Index);

/// <summary>
/// How crash shows one symbol (symbols.c show_symbol): "ADDRESS (LETTER) NAME[+OFFSET] [[MODULE]] [FILE: LINE]",
/// the file and line only for addresses in code, the offset in the output radix.
/// </summary>
internal sealed class CrashSymbolView
{
    private readonly KernelProgram _program;
    private readonly int _radix;
    private readonly (ulong Low, ulong High) _kernelRange;
    private readonly Dictionary<KernelModule, IReadOnlyList<Symbol>> _modules = [];

    public CrashSymbolView(KernelProgram program, int radix)
    {
        _program = program;
        _radix = radix;
        Kernel = program.Derived(p => new CrashKernelSymbols(p.Symbols, p.Vmlinux));
        _kernelRange = Kernel.Count == 0 ? (ulong.MaxValue, 0) : (KernelStart(program.Symbols, Kernel), Kernel[Kernel.Count - 1].Address);
    }

    /// <summary>The kernel's symbols in crash's order.</summary>
    public CrashKernelSymbols Kernel { get; }

    /// <summary>The kernel's symbol at <paramref name="index"/> of <see cref="Kernel"/>.</summary>
    public SymbolEntry KernelEntry(int index) => new(Kernel[index], null, index);

    /// <summary>A module's symbols in crash's order (<see cref="CrashModuleSymbols"/>).</summary>
    public IReadOnlyList<Symbol> ModuleSymbols(KernelModule module)
    {
        if (!_modules.TryGetValue(module, out var list))
        {
            _modules[module] = list = CrashModuleSymbols.Build(_program, module);
        }

        return list;
    }

    /// <summary>A module's symbol at <paramref name="index"/> of <see cref="ModuleSymbols"/>.</summary>
    public SymbolEntry ModuleEntry(KernelModule module, int index) => new(ModuleSymbols(module)[index], module, index);

    /// <summary>crash's letter (the module lists hold crash's letters already).</summary>
    public static char Letter(in SymbolEntry entry) => entry.Symbol.Type;

    /// <summary>One line of <c>sym</c>: <paramref name="lines"/> adds the source line of code addresses,
    /// <paramref name="section"/> the section name instead, <paramref name="showModule"/> the " [module]".</summary>
    public string Line(in SymbolEntry entry, ulong offset, bool lines, bool showModule, bool section = false)
    {
        var s = entry.Symbol;
        ulong address = unchecked(s.Address + offset);
        string text = offset == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{s.Address:x} ({Letter(entry)}) {s.Name}")
            : _radix == 16
                ? string.Create(CultureInfo.InvariantCulture, $"{address:x} ({Letter(entry)}) {s.Name}+0x{offset:x}")
                : string.Create(CultureInfo.InvariantCulture, $"{address:x} ({Letter(entry)}) {s.Name}+{offset}");
        if (showModule && entry.Module is { } module)
        {
            text += $" [{module.Name}]";
        }

        if (lines && IsText(address))
        {
            text += " " + SourceLine(address);
        }

        if (section)
        {
            text += $" [{SectionName(address)}]";
        }

        return text;
    }

    /// <summary>"FILE: LINE" of a code address, "" when no DWARF covers it (crash prints the space before it anyway).</summary>
    public string SourceLine(ulong address)
    {
        if (!_program.TryFindLine(address, out var location))
        {
            return string.Empty;
        }

        string file = location.File;
        while (file.Contains("//", StringComparison.Ordinal))
        {
            file = file.Replace("//", "/", StringComparison.Ordinal);
        }

        return string.Create(CultureInfo.InvariantCulture, $"{file}: {location.Line}");
    }

    /// <summary>
    /// Whether <paramref name="address"/> is code (symbols.c is_kernel_text): in a code section of the vmlinux
    /// or of a loaded module object file, or its symbol is a function.
    /// </summary>
    public bool IsText(ulong address)
    {
        if (_program.ModuleAt(address) is { } module)
        {
            if (_program.DebugInfoOf(module) is { } info)
            {
                return info.IsCode(address);
            }

            return TrySearchModule(ModuleSymbols(module), address, out int at, out _) && ModuleSymbols(module)[at].Type is 't' or 'T';
        }

        if (_program.Vmlinux is { } vmlinux)
        {
            ulong link = unchecked(address - (ulong)_program.Symbols.Relocation);
            foreach (var s in vmlinux.Sections)
            {
                if (s.IsAlloc && (s.Flags & ElfConstants.ShfExecInstr) != 0 && link >= s.Address && link - s.Address < s.Size)
                {
                    return true;
                }
            }
        }

        return Kernel.TrySearch(address, out int index, out _) && IsTextSymbol(Kernel[index]);
    }

    /// <summary>
    /// Whether crash takes <paramref name="value"/> as a symbol address (symbols.c in_ksymbol_range): from the
    /// first symbol of the image (per-CPU offsets below it do not count) to the highest symbol, or in a module.
    /// </summary>
    public bool InSymbolRange(ulong value) =>
        (value >= _kernelRange.Low && value <= _kernelRange.High) || _program.ModuleAt(value) is not null;

    /// <summary>The symbol at or below <paramref name="address"/>: a module's when the address is in a module.</summary>
    public bool TryLookup(ulong address, out SymbolEntry entry, out ulong offset)
    {
        entry = default;
        offset = 0;
        if (_program.ModuleAt(address) is { } module)
        {
            if (!TrySearchModule(ModuleSymbols(module), address, out int at, out offset))
            {
                return false;
            }

            entry = ModuleEntry(module, at);
            return true;
        }

        if (!Kernel.TrySearch(address, out int index, out offset))
        {
            return false;
        }

        entry = KernelEntry(index);
        return true;
    }

    /// <summary>The section that holds an address: the vmlinux's, a loaded module file's, else "in NAME module".</summary>
    private string SectionName(ulong address)
    {
        if (_program.ModuleAt(address) is { } module)
        {
            if (_program.DebugInfoOf(module) is { } info)
            {
                return SectionOf(info.File, info.SectionAddresses, address) ?? string.Empty;
            }

            return $"in {module.Name} module";
        }

        return _program.Vmlinux is { } vmlinux
            ? SectionOf(vmlinux, null, unchecked(address - (ulong)_program.Symbols.Relocation)) ?? string.Empty
            : string.Empty;
    }

    /// <summary>
    /// crash's value_search_module: at an exact address the first symbol there (the next one when its name
    /// starts with '.'); inside a symbol the last of the symbols at the highest address below.
    /// </summary>
    private static bool TrySearchModule(IReadOnlyList<Symbol> symbols, ulong value, out int index, out ulong offset)
    {
        index = -1;
        offset = 0;
        int lo = 0, hi = symbols.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (symbols[mid].Address < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        if (lo < symbols.Count && symbols[lo].Address == value)
        {
            index = symbols[lo].Name.StartsWith('.') && lo + 1 < symbols.Count && symbols[lo + 1].Address == value ? lo + 1 : lo;
            return true;
        }

        if (lo == 0)
        {
            return false;
        }

        index = lo - 1;
        offset = value - symbols[index].Address;
        return true;
    }

    private static string? SectionOf(ElfFile file, IReadOnlyDictionary<string, ulong>? placed, ulong address)
    {
        for (int i = file.Sections.Count - 1; i >= 0; i--)
        {
            var s = file.Sections[i];
            ulong start = placed is null ? s.Address : placed.GetValueOrDefault(s.Name);
            if (s.IsAlloc && (placed is null || placed.ContainsKey(s.Name)) && address >= start && address - start < s.Size)
            {
                return s.Name;
            }
        }

        return null;
    }

    // symbols.c is_symbol_text: t/T, and w/W inside the kernel's text.
    private bool IsTextSymbol(Symbol s)
    {
        if (s.Type is 't' or 'T')
        {
            return true;
        }

        return s.Type is 'w' or 'W'
            && _program.Symbols.TryGetAddress("_stext", out ulong stext) && _program.Symbols.TryGetAddress("_etext", out ulong etext)
            && s.Address >= stext && s.Address < etext;
    }

    // crash's first_ksymbol: where _text (or _stext) is; per-CPU offsets below it do not count.
    private static ulong KernelStart(SymbolTable table, CrashKernelSymbols kernel)
    {
        if (table.TryGetAddress("_text", out ulong text) || table.TryGetAddress("_stext", out text))
        {
            return text;
        }

        return table.Image?.Start ?? kernel[0].Address;
    }
}
