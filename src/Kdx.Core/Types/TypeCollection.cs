namespace Kdx.Core.Types;

/// <summary>
/// The type sources of a program, asked in order (e.g. a vmlinux's DWARF, then BTF), plus the C
/// type names users write: "unsigned long" is found as DWARF's "long unsigned int".
/// </summary>
public sealed class TypeCollection
{
    private readonly List<ITypeSource> _sources = [];

    /// <summary>Creates a collection over <paramref name="sources"/>.</summary>
    public TypeCollection(IEnumerable<ITypeSource> sources)
    {
        _sources.AddRange(sources);
    }

    /// <summary>The sources in the order they are asked.</summary>
    public IReadOnlyList<ITypeSource> Sources => _sources;

    /// <summary>Adds a source after the others.</summary>
    public void Add(ITypeSource source) => _sources.Add(source);

    /// <summary>Adds a source before the others.</summary>
    public void AddFirst(ITypeSource source) => _sources.Insert(0, source);

    /// <summary>Adds a source at <paramref name="index"/> in the order (0 is asked first).</summary>
    public void Insert(int index, ITypeSource source) => _sources.Insert(Math.Clamp(index, 0, _sources.Count), source);

    /// <summary>Removes a source (e.g. a module's DWARF that was unloaded); false when it was not there.</summary>
    public bool Remove(ITypeSource source) => _sources.Remove(source);

    /// <summary>Finds a named type in the first source that has it (a complete one is preferred).</summary>
    public KType? FindType(string name, TypeKind? kind = null)
    {
        KType? incomplete = null;
        foreach (var s in _sources)
        {
            var t = s.FindType(name, kind);
            if (t is not null)
            {
                if (t.IsComplete)
                {
                    return t;
                }

                incomplete ??= t;
            }
        }

        return incomplete ?? FindBaseType(name, kind);
    }

    /// <summary>
    /// The enum that has the enumerator <paramref name="name"/> and the enumerator, from the first source that knows
    /// it. A named enum is taken from the first source that defines the tag (a vmlinux's DWARF before its BTF), as
    /// gdb sees it; false when no enum has such an enumerator.
    /// </summary>
    public bool TryFindEnumerator(string name, out KType type, out KEnumerator enumerator)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var s in _sources)
        {
            if (s.FindEnumeratorType(name) is not { } found)
            {
                continue;
            }

            type = found.Name is { } tag && FindType(tag, TypeKind.Enum) is { } preferred && preferred.Enumerators.Any(e => e.Name == name)
                ? preferred
                : found;
            enumerator = type.Enumerators.First(e => e.Name == name);
            return true;
        }

        type = null!;
        enumerator = null!;
        return false;
    }

    /// <summary>Finds a variable's type in the first source that has it.</summary>
    public QualifiedType? FindVariableType(string name)
    {
        foreach (var s in _sources)
        {
            if (s.FindVariableType(name) is { } t)
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>Finds a function's type in the first source that has it.</summary>
    public KType? FindFunctionType(string name)
    {
        foreach (var s in _sources)
        {
            if (s.FindFunctionType(name) is { } t)
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>The integer type of <paramref name="size"/> bytes (for values that have no type of their own).</summary>
    public KType IntegerType(int size, bool signed) => size switch
    {
        1 => FindType(signed ? "signed char" : "unsigned char") ?? KType.Int(signed ? "signed char" : "unsigned char", 1, signed),
        2 => FindType(signed ? "short" : "unsigned short") ?? KType.Int(signed ? "short int" : "short unsigned int", 2, signed),
        4 => FindType(signed ? "int" : "unsigned int") ?? KType.Int(signed ? "int" : "unsigned int", 4, signed),
        _ => FindType(signed ? "long" : "unsigned long") ?? KType.Int(signed ? "long int" : "long unsigned int", 8, signed),
    };

    // gcc spells base types with the specifiers in its own order; accept the usual C spellings.
    private KType? FindBaseType(string name, TypeKind? kind)
    {
        if (kind is not null and not TypeKind.Int)
        {
            return null;
        }

        string? canonical = CanonicalIntegerName(name);
        if (canonical is null || canonical == name)
        {
            return null;
        }

        foreach (var s in _sources)
        {
            if (s.FindType(canonical, null) is { } t)
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>
    /// The name gcc (and pahole) give an integer type written in any C order, e.g. "unsigned long" →
    /// "long unsigned int", "long long" → "long long int"; null when the words are not an integer type.
    /// </summary>
    public static string? CanonicalIntegerName(string name)
    {
        var words = name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int longs = 0;
        bool unsigned = false, signed = false, shortWord = false, charWord = false, intWord = false;
        foreach (var w in words)
        {
            switch (w)
            {
                case "long": longs++; break;
                case "unsigned": unsigned = true; break;
                case "signed": signed = true; break;
                case "short": shortWord = true; break;
                case "char": charWord = true; break;
                case "int": intWord = true; break;
                default: return null;
            }
        }

        if ((unsigned && signed) || longs > 2 || (charWord && (shortWord || longs > 0 || intWord)) || (shortWord && longs > 0))
        {
            return null;
        }

        if (charWord)
        {
            return unsigned ? "unsigned char" : signed ? "signed char" : "char";
        }

        string size = shortWord ? "short " : longs == 2 ? "long long " : longs == 1 ? "long " : string.Empty;
        if (size.Length == 0)
        {
            return unsigned ? "unsigned int" : "int";
        }

        return size + (unsigned ? "unsigned int" : "int");
    }
}
