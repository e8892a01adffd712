using Kdx.Core.Elf;
using Kdx.Core.Symbols;

namespace Kdx.Commands.Symbols;

/// <summary>
/// The kernel's symbols as crash lists them (symbols.c symtab_init and store_symbols): sorted by address and
/// then by name (binutils nm's numeric sort, which crash's gnu_qsort uses), kept from <c>_text</c>/<c>_stext</c>
/// on, before that only the per-CPU offsets (x86_64.c x86_64_verify_symbol: <c>__per_cpu_start</c>, then
/// <c>per_cpu*</c>, <c>__per_cpu_end</c> and V/d/D symbols), and with gcc's ".isra.", ".part." and ".llvm."
/// clone suffixes cut off (strip_symbol_end).
/// </summary>
internal sealed class CrashKernelSymbols
{
    private readonly Symbol[] _symbols;
    private Dictionary<string, List<int>>? _byName;

    public CrashKernelSymbols(SymbolTable table, ElfFile? vmlinux)
    {
        var sorted = new List<Symbol>(table.Count + 64);
        sorted.AddRange(table);
        if (vmlinux is not null)
        {
            AddSectionSymbols(sorted, table, vmlinux);
        }

        sorted.Sort((a, b) => a.Address != b.Address ? a.Address.CompareTo(b.Address) : string.CompareOrdinal(a.Name, b.Name));
        var kept = new List<Symbol>(sorted.Count);
        bool started = false, perCpu = false;
        foreach (var s in sorted)
        {
            if (!started)
            {
                if (s.Name is "_text" or "_stext")
                {
                    started = true;
                }
                else if (s.Name == "__per_cpu_start")
                {
                    perCpu = true;
                }
                else if (!perCpu || !(s.Name.StartsWith("per_cpu", StringComparison.Ordinal) || s.Name == "__per_cpu_end" || s.Type is 'V' or 'd' or 'D'))
                {
                    continue;
                }
            }

            kept.Add(s with { Name = StripCloneSuffix(s.Name) });
        }

        _symbols = [.. kept];
    }

    // bfd gives crash the vmlinux's section symbols too (nm hides them): ".rodata", ".bss" … at their sections.
    private static void AddSectionSymbols(List<Symbol> symbols, SymbolTable table, ElfFile vmlinux)
    {
        foreach (var s in vmlinux.ReadSymbols())
        {
            if (s.Type != ElfSymbolType.Section || s.SectionIndex >= (uint)vmlinux.Sections.Count || s.SectionIndex == 0)
            {
                continue;
            }

            var section = vmlinux.Sections[(int)s.SectionIndex];
            bool moves = table.Image is { } image && image.Contains(unchecked(s.Value + (ulong)table.Relocation));
            symbols.Add(new Symbol(section.Name, moves ? unchecked(s.Value + (ulong)table.Relocation) : s.Value, 0, NmSymbolClass.OfSection(section)));
        }
    }

    /// <summary>The symbols in crash's order.</summary>
    public IReadOnlyList<Symbol> All => _symbols;

    /// <summary>The number of symbols.</summary>
    public int Count => _symbols.Length;

    /// <summary>The symbol at <paramref name="index"/>.</summary>
    public Symbol this[int index] => _symbols[index];

    /// <summary>gcc's clone suffixes cut off: "foo.isra.0" → "foo" (".cold" and ".constprop." stay, as in crash).</summary>
    public static string StripCloneSuffix(string name)
    {
        foreach (string suffix in (ReadOnlySpan<string>)[".isra.", ".part.", ".llvm."])
        {
            int at = name.IndexOf(suffix, StringComparison.Ordinal);
            if (at >= 0)
            {
                return name[..at];
            }
        }

        return name;
    }

    /// <summary>The indices of the symbols named <paramref name="name"/>, in table order.</summary>
    public IReadOnlyList<int> Named(string name)
    {
        if (_byName is null)
        {
            var byName = new Dictionary<string, List<int>>(_symbols.Length, StringComparer.Ordinal);
            for (int i = 0; i < _symbols.Length; i++)
            {
                if (!byName.TryGetValue(_symbols[i].Name, out var list))
                {
                    byName[_symbols[i].Name] = list = [];
                }

                list.Add(i);
            }

            _byName = byName;
        }

        return _byName.TryGetValue(name, out var found) ? found : [];
    }

    /// <summary>
    /// crash's value_search over the kernel's symbols: at an exact address the first symbol there (but the next
    /// one after a ".text." section name, a SyS_ alias or a "*_text_start" marker); inside a symbol the last of
    /// the symbols at the highest address below. False above the highest symbol or below the lowest.
    /// </summary>
    public bool TrySearch(ulong value, out int index, out ulong offset)
    {
        index = -1;
        offset = 0;
        int lo = 0, hi = _symbols.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_symbols[mid].Address < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        if (lo < _symbols.Length && _symbols[lo].Address == value)
        {
            index = lo;
            bool nextSame = lo + 1 < _symbols.Length && _symbols[lo + 1].Address == value;
            string name = _symbols[lo].Name;
            if (nextSame && (name.StartsWith(".text.", StringComparison.Ordinal) || name.StartsWith("SyS_", StringComparison.Ordinal)
                || name.StartsWith("compat_SyS_", StringComparison.Ordinal) || name.Contains("_text_start", StringComparison.Ordinal)))
            {
                index = lo + 1;
            }

            return true;
        }

        if (lo == 0 || lo == _symbols.Length)
        {
            return false;
        }

        index = lo - 1;
        offset = value - _symbols[index].Address;
        return true;
    }
}
