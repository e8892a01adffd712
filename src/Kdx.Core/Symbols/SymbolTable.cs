using System.Collections;

namespace Kdx.Core.Symbols;

/// <summary>A kernel symbol: name, address, size (0 when unknown) and nm's type letter.</summary>
/// <param name="Name">The name.</param>
/// <param name="Address">The address (after any relocation the table applied).</param>
/// <param name="Size">The size in bytes, 0 when unknown (System.map has no sizes).</param>
/// <param name="Type">nm's letter: T t D d B b R r A a W w V v …</param>
public readonly record struct Symbol(string Name, ulong Address, ulong Size, char Type)
{
    /// <summary>Whether the symbol is global (an upper-case letter).</summary>
    public bool IsGlobal => char.IsAsciiLetterUpper(Type);

    /// <summary>Whether the symbol is absolute (A or a): a number, not an address in the image.</summary>
    public bool IsAbsolute => Type is 'A' or 'a';
}

/// <summary>The result of an address lookup: the symbol at or below the address and the distance to it.</summary>
/// <param name="Symbol">The symbol.</param>
/// <param name="Offset">The address minus the symbol's address.</param>
/// <param name="Index">The symbol's index in the table (address order).</param>
public readonly record struct SymbolHit(Symbol Symbol, ulong Offset, int Index);

/// <summary>
/// The addresses of the kernel image: symbols in [Start, End] (both included, so that <c>_end</c> is in)
/// move when the kernel is relocated (KASLR); symbols outside it (per-CPU offsets in .data..percpu,
/// absolute numbers such as <c>kexec_control_code_size</c>) stay. crash does the same on x86_64
/// (symbols.c relocate(): from the start of .text to the end of the last section).
/// </summary>
/// <param name="Start">The first address of the image (.text, or _text in a System.map).</param>
/// <param name="End">The end of the image (the end of its last section, or _end).</param>
public readonly record struct KernelImageRange(ulong Start, ulong End)
{
    /// <summary>Whether <paramref name="address"/> is in the range.</summary>
    public bool Contains(ulong address) => address >= Start && address <= End;
}

/// <summary>
/// A kernel symbol table (from a vmlinux .symtab, a System.map, or later kallsyms in memory), kept as
/// parallel arrays sorted by address: address → symbol+offset by binary search, and name → symbol by
/// a dictionary. Immutable; <see cref="Relocate"/> returns a moved copy.
/// </summary>
public sealed partial class SymbolTable : IReadOnlyList<Symbol>
{
    private readonly string[] _names;
    private readonly ulong[] _addresses;
    private readonly ulong[] _sizes;
    private readonly char[] _types;
    private NameIndex? _nameIndex;
    private readonly int _highestGroup;

    /// <summary>
    /// Builds a table from parallel arrays in any order (they are copied and sorted by address).
    /// </summary>
    /// <param name="names">The names.</param>
    /// <param name="addresses">The addresses.</param>
    /// <param name="sizes">The sizes (0 when unknown).</param>
    /// <param name="types">nm's type letters.</param>
    /// <param name="image">The kernel image's addresses, for <see cref="Relocate"/>; null: every non-absolute symbol moves.</param>
    /// <param name="relocation">How far the addresses have already been moved from the link-time addresses.</param>
    public SymbolTable(ReadOnlySpan<string> names, ReadOnlySpan<ulong> addresses, ReadOnlySpan<ulong> sizes, ReadOnlySpan<char> types, KernelImageRange? image = null, long relocation = 0)
    {
        int n = names.Length;
        if (addresses.Length != n || sizes.Length != n || types.Length != n)
        {
            throw new ArgumentException($"names ({n}), addresses ({addresses.Length}), sizes ({sizes.Length}) and types ({types.Length}) differ in length");
        }

        var order = SortOrder(addresses, types);
        _names = new string[n];
        _addresses = new ulong[n];
        _sizes = new ulong[n];
        _types = new char[n];
        for (int i = 0; i < n; i++)
        {
            int j = order is null ? i : order[i];
            _names[i] = names[j];
            _addresses[i] = addresses[j];
            _sizes[i] = sizes[j];
            _types[i] = types[j];
        }

        Image = image;
        Relocation = relocation;
        _highestGroup = FirstAt(Array.FindLastIndex(_types, t => t is not ('A' or 'a')));
    }

    /// <summary>The number of symbols.</summary>
    public int Count => _names.Length;

    /// <summary>The kernel image range (already moved by <see cref="Relocation"/>), when known.</summary>
    public KernelImageRange? Image { get; }

    /// <summary>How far the image symbols were moved from their link-time addresses (the KASLR offset).</summary>
    public long Relocation { get; }

    /// <summary>The symbol at <paramref name="index"/> in address order.</summary>
    public Symbol this[int index] => new(_names[index], _addresses[index], _sizes[index], _types[index]);

    /// <summary>
    /// The symbol at or below <paramref name="address"/> and the offset into it (crash's symbol+offset).
    /// Absolute symbols are never returned; above the highest symbol only addresses inside it match.
    /// </summary>
    public bool TryLookup(ulong address, out SymbolHit hit)
    {
        hit = default;
        int i = UpperBound(address) - 1;
        while (i >= 0 && _types[i] is 'A' or 'a')
        {
            i--;
        }

        if (i < 0)
        {
            return false;
        }

        // Several symbols at one address: the first of them is the preferred one (see the sort order).
        ulong at = _addresses[i];
        while (i > 0 && _addresses[i - 1] == at && _types[i - 1] is not ('A' or 'a'))
        {
            i--;
        }

        ulong offset = address - at;
        if (i >= _highestGroup && offset >= Math.Max(_sizes[i], 1))
        {
            return false;
        }

        hit = new SymbolHit(this[i], offset, i);
        return true;
    }

    /// <summary>Every symbol at exactly <paramref name="address"/>, in the table's preference order.</summary>
    public IEnumerable<Symbol> SymbolsAt(ulong address)
    {
        for (int i = LowerBound(address); i < Count && _addresses[i] == address; i++)
        {
            yield return this[i];
        }
    }

    /// <summary>
    /// The symbol with this name; when several have it, a global one before a weak one before a
    /// local one, then the lowest address.
    /// </summary>
    public bool TryGetSymbol(string name, out Symbol symbol)
    {
        if (Names.ByName.TryGetValue(name, out int i))
        {
            symbol = this[i];
            return true;
        }

        symbol = default;
        return false;
    }

    /// <summary>The address of the symbol <paramref name="name"/> (see <see cref="TryGetSymbol"/>).</summary>
    public bool TryGetAddress(string name, out ulong address)
    {
        bool found = TryGetSymbol(name, out var s);
        address = s.Address;
        return found;
    }

    /// <summary>Every symbol named <paramref name="name"/>, in address order.</summary>
    public IEnumerable<Symbol> GetSymbols(string name)
    {
        var index = Names;
        if (index.Duplicates.TryGetValue(name, out var all))
        {
            foreach (int i in all)
            {
                yield return this[i];
            }
        }
        else if (index.ByName.TryGetValue(name, out int i))
        {
            yield return this[i];
        }
    }

    /// <summary>
    /// A copy with the image symbols moved by <paramref name="offset"/> (runtime minus link-time
    /// address, VMCOREINFO's KERNELOFFSET). Symbols outside <see cref="Image"/> stay; without an image
    /// range every symbol but the absolute ones moves.
    /// </summary>
    public SymbolTable Relocate(long offset)
    {
        if (offset == 0)
        {
            return this;
        }

        var addresses = new ulong[Count];
        for (int i = 0; i < addresses.Length; i++)
        {
            ulong a = _addresses[i];
            bool moves = Image is { } image ? image.Contains(a) : _types[i] is not ('A' or 'a');
            addresses[i] = moves ? unchecked(a + (ulong)offset) : a;
        }

        KernelImageRange? moved = Image is { } r ? new KernelImageRange(unchecked(r.Start + (ulong)offset), unchecked(r.End + (ulong)offset)) : null;
        return new SymbolTable(_names, addresses, _sizes, _types, moved, Relocation + offset);
    }

    /// <inheritdoc/>
    public IEnumerator<Symbol> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// The order that sorts the symbols by address, a global symbol before a local one at one address,
    /// then table order; null when they are in that order already (a relocated table usually is).
    /// </summary>
    private static int[]? SortOrder(ReadOnlySpan<ulong> addresses, ReadOnlySpan<char> types)
    {
        int n = addresses.Length;
        bool sorted = true;
        for (int i = 1; i < n && sorted; i++)
        {
            sorted = addresses[i - 1] < addresses[i] || (addresses[i - 1] == addresses[i] && Rank(types[i - 1]) <= Rank(types[i]));
        }

        if (sorted)
        {
            return null;
        }

        var order = new int[n];
        var keys = addresses.ToArray();
        var ranks = new byte[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
            ranks[i] = Rank(types[i]);
        }

        // A primitive-key sort, then the (small) runs of equal addresses put in order.
        Array.Sort(keys, order);
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && keys[end] == keys[start])
            {
                end++;
            }

            if (end - start > 1)
            {
                order.AsSpan(start, end - start).Sort((a, b) => ranks[a] != ranks[b] ? ranks[a].CompareTo(ranks[b]) : a.CompareTo(b));
            }

            start = end;
        }

        return order;
    }

    private static byte Rank(char type) => type switch
    {
        'A' or 'a' => 3,
        _ when char.IsAsciiLetterUpper(type) && type is not ('W' or 'V') => 0,
        'W' or 'V' => 1,
        _ => 2,
    };

    /// <summary>The name index, built on first use (a relocated copy may never need its own).</summary>
    private NameIndex Names => _nameIndex ?? Interlocked.CompareExchange(ref _nameIndex, IndexNames(_names, _types), null) ?? _nameIndex;

    private static NameIndex IndexNames(string[] names, char[] types)
    {
        var byName = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        var lists = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < names.Length; i++)
        {
            if (!byName.TryGetValue(names[i], out int best))
            {
                byName.Add(names[i], i);
                continue;
            }

            if (!lists.TryGetValue(names[i], out var list))
            {
                lists.Add(names[i], list = [best]);
            }

            list.Add(i);
            if (NameRank(types[i]) < NameRank(types[best]))
            {
                byName[names[i]] = i;
            }
        }

        var duplicates = new Dictionary<string, int[]>(lists.Count, StringComparer.Ordinal);
        foreach (var (name, list) in lists)
        {
            duplicates.Add(name, [.. list]);
        }

        return new NameIndex(byName, duplicates);
    }

    private static int NameRank(char type) => type is 'W' or 'V' or 'w' or 'v' ? 1 : char.IsAsciiLetterUpper(type) ? 0 : 2;

    private int FirstAt(int index)
    {
        if (index < 0)
        {
            return int.MaxValue;
        }

        while (index > 0 && _addresses[index - 1] == _addresses[index])
        {
            index--;
        }

        return index;
    }

    /// <summary>The first index whose address is greater than <paramref name="address"/>.</summary>
    private int UpperBound(ulong address)
    {
        int lo = 0, hi = _addresses.Length;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (_addresses[mid] <= address)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>The first index whose address is not less than <paramref name="address"/>.</summary>
    private int LowerBound(ulong address)
    {
        int lo = 0, hi = _addresses.Length;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (_addresses[mid] < address)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private sealed record NameIndex(Dictionary<string, int> ByName, Dictionary<string, int[]> Duplicates);
}
