namespace Kdx.Core.Debug.Dwarf;

/// <summary>The name spaces of the index: C's tag names, ordinary type names, variables and functions.</summary>
internal enum IndexSpace : byte
{
    Struct,
    Union,
    Enum,
    Type,
    Variable,
    Function,
}

/// <summary>
/// The best DIE for a name. Higher ranks win (a complete definition over a declaration, a variable
/// with a location over an extern declaration); equal ranks go to the lowest DIE offset, so the
/// result does not depend on how the scan was split between threads.
/// </summary>
/// <param name="Die">The DIE reference.</param>
/// <param name="Rank">How good a match it is.</param>
/// <param name="Tag">The DIE's tag.</param>
internal readonly record struct IndexEntry(long Die, byte Rank, ushort Tag)
{
    public bool IsBetterThan(in IndexEntry other) => Rank != other.Rank ? Rank > other.Rank : Die < other.Die;
}

/// <summary>
/// The name index of one DWARF file: name → best DIE, per name space. A space loaded from a cache
/// is turned into a dictionary the first time it is asked (the first type lookup needs only the
/// struct names, not the hundred thousand function names).
/// </summary>
internal sealed class DwarfIndex
{
    public const int SpaceCount = 6;

    private readonly Lazy<Dictionary<string, IndexEntry>>[] _spaces;

    public DwarfIndex(Dictionary<string, IndexEntry>[] spaces, IReadOnlyList<string> warnings, string origin)
        : this(Array.ConvertAll(spaces, s => (Func<Dictionary<string, IndexEntry>>)(() => s)), warnings, origin, fromCache: false)
    {
    }

    public DwarfIndex(Func<Dictionary<string, IndexEntry>>[] spaces, IReadOnlyList<string> warnings, string origin, bool fromCache)
    {
        if (spaces.Length != SpaceCount)
        {
            throw new ArgumentException($"an index has {SpaceCount} name spaces", nameof(spaces));
        }

        _spaces = Array.ConvertAll(spaces, f => new Lazy<Dictionary<string, IndexEntry>>(f, LazyThreadSafetyMode.ExecutionAndPublication));
        Warnings = warnings;
        Origin = origin;
        FromCache = fromCache;
    }

    /// <summary>Whether the index was read from a cache file (so its entries are checked when used).</summary>
    public bool FromCache { get; }

    /// <summary>Units that could not be indexed, and why.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Where the index came from ("scanned 2172 units in 812 ms", "cache FILE").</summary>
    public string Origin { get; }

    /// <summary>How many names a space holds.</summary>
    public int Count(IndexSpace space) => _spaces[(int)space].Value.Count;

    /// <summary>Finds the best DIE for <paramref name="name"/>.</summary>
    public bool TryFind(IndexSpace space, string name, out IndexEntry entry) => _spaces[(int)space].Value.TryGetValue(name, out entry);

    /// <summary>Every (name, entry) of a space.</summary>
    public IEnumerable<KeyValuePair<string, IndexEntry>> Entries(IndexSpace space) => _spaces[(int)space].Value;

    /// <summary>The space of a DIE tag at the top of a unit, or null for tags the index does not hold.</summary>
    public static IndexSpace? SpaceOf(ushort tag) => SpaceIndex(tag) is >= 0 and var i ? (IndexSpace)i : null;

    /// <summary>The space of a tag as a number, or -1 (a table lookup: the scan asks for every DIE).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int SpaceIndex(ushort tag) => tag < SpaceByTag.Length ? SpaceByTag[tag] : -1;

    private static ReadOnlySpan<sbyte> SpaceByTag =>
    [
        // 0x00 … 0x0f: class_type 0x02 and structure-like, enumeration_type 0x04
        -1, -1, 0, -1, 2, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,

        // 0x10 … 0x1f: structure_type 0x13, typedef 0x16, union_type 0x17
        -1, -1, -1, 0, -1, -1, 3, 1, -1, -1, -1, -1, -1, -1, -1, -1,

        // 0x20 … 0x2f: base_type 0x24, subprogram 0x2e
        -1, -1, -1, -1, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, 5, -1,

        // 0x30 … 0x3f: variable 0x34
        -1, -1, -1, -1, 4, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    ];
}
