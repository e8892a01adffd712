namespace Kdx.Core.Types;

/// <summary>
/// The type sources of a program, asked in order: for a type the first complete definition wins (a
/// source that only declares <c>struct foo</c> gives way to one that defines it); for a variable or a
/// function the first source that knows it. Sources are added while a program opens (DWARF first for
/// fidelity, then the vmlinux BTF, then module BTF); lookups are safe from several threads.
/// </summary>
public sealed class TypeSourceList : ITypeSource
{
    private readonly Lock _lock = new();
    private ITypeSource[] _sources = [];

    /// <summary>The sources, in the order they are asked.</summary>
    public IReadOnlyList<ITypeSource> Sources => Volatile.Read(ref _sources);

    /// <summary>Whether there is no source at all.</summary>
    public bool IsEmpty => Sources.Count == 0;

    /// <inheritdoc/>
    public string Description => IsEmpty ? "no type information" : string.Join(", ", Sources.Select(s => s.Description));

    /// <summary>Adds a source to be asked after the others.</summary>
    public void Add(ITypeSource source) => Insert(int.MaxValue, source);

    /// <summary>Inserts a source at <paramref name="index"/> (0: asked first; past the end: last).</summary>
    public void Insert(int index, ITypeSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        lock (_lock)
        {
            var list = _sources.ToList();
            list.Insert(Math.Clamp(index, 0, list.Count), source);
            Volatile.Write(ref _sources, [.. list]);
        }
    }

    /// <inheritdoc/>
    public KType? FindType(string name, TypeKind? kind = null)
    {
        KType? declaration = null;
        foreach (var source in Sources)
        {
            var t = source.FindType(name, kind);
            if (t is { IsComplete: true })
            {
                return t;
            }

            declaration ??= t;
        }

        return declaration;
    }

    /// <inheritdoc/>
    public QualifiedType? FindVariableType(string name)
    {
        foreach (var source in Sources)
        {
            if (source.FindVariableType(name) is { } t)
            {
                return t;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public KType? FindFunctionType(string name)
    {
        foreach (var source in Sources)
        {
            if (source.FindFunctionType(name) is { } t)
            {
                return t;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public IEnumerable<string> TypeNames(TypeKind kind) => Sources.SelectMany(s => s.TypeNames(kind)).Distinct(StringComparer.Ordinal);
}
