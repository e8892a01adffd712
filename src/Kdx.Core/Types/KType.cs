namespace Kdx.Core.Types;

/// <summary>
/// A C type of the crashed kernel, the same model whatever it was read from (DWARF, BTF):
/// base types, pointers, arrays, structs and unions with bit fields, enums, typedefs and function
/// types. Qualifiers live on <see cref="QualifiedType"/>, not here. Struct members, enumerators and
/// parameters are produced lazily (a kernel has tens of thousands of types and cycles among them),
/// once, and are safe to read from several threads.
/// </summary>
public sealed class KType
{
    private readonly Lazy<IReadOnlyList<KMember>>? _members;
    private readonly Lazy<IReadOnlyList<KEnumerator>>? _enumerators;
    private readonly Lazy<IReadOnlyList<KParameter>>? _parameters;
    private readonly Lazy<QualifiedType>? _target;

    private KType(TypeKind kind, string? name, ulong size)
    {
        Kind = kind;
        Name = name;
        Size = size;
    }

    private KType(TypeKind kind, string? name, ulong size, Func<QualifiedType> target)
        : this(kind, name, size)
    {
        _target = new Lazy<QualifiedType>(target, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private KType(TypeKind kind, string? name, ulong size, Func<IReadOnlyList<KMember>>? members, Func<IReadOnlyList<KEnumerator>>? enumerators, Func<IReadOnlyList<KParameter>>? parameters, Func<QualifiedType>? target)
        : this(kind, name, size)
    {
        _members = members is null ? null : new Lazy<IReadOnlyList<KMember>>(members, LazyThreadSafetyMode.ExecutionAndPublication);
        _enumerators = enumerators is null ? null : new Lazy<IReadOnlyList<KEnumerator>>(enumerators, LazyThreadSafetyMode.ExecutionAndPublication);
        _parameters = parameters is null ? null : new Lazy<IReadOnlyList<KParameter>>(parameters, LazyThreadSafetyMode.ExecutionAndPublication);
        _target = target is null ? null : new Lazy<QualifiedType>(target, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The shared <c>void</c> type.</summary>
    public static KType Void { get; } = new(TypeKind.Void, "void", 0);

    /// <summary>The kind.</summary>
    public TypeKind Kind { get; }

    /// <summary>The name without the struct/union/enum keyword (null for anonymous and derived types).</summary>
    public string? Name { get; }

    /// <summary>sizeof the type in bytes (0 for void, functions and incomplete types).</summary>
    public ulong Size { get; private init; }

    /// <summary>Whether an integer or enum type is signed.</summary>
    public bool IsSigned { get; private init; }

    /// <summary>Whether a struct, union, enum or array is complete (a declaration only is not; a flexible array is not).</summary>
    public bool IsComplete { get; private init; } = true;

    /// <summary>The number of elements of an array, or null for an incomplete/flexible array.</summary>
    public ulong? Length { get; private init; }

    /// <summary>Whether a function type takes a variable number of arguments.</summary>
    public bool IsVariadic { get; private init; }

    /// <summary>Where the type was declared, when the source knows (DWARF).</summary>
    public SourceLocation? Declared { get; private init; }

    /// <summary>
    /// The type this one refers to: a pointer's pointee, an array's element, a typedef's aliased type,
    /// an enum's compatible integer type, a function's return type. Null for the other kinds.
    /// </summary>
    public QualifiedType? Target => _target?.Value;

    /// <summary>The members of a struct or union (empty for other kinds and for declarations).</summary>
    public IReadOnlyList<KMember> Members => _members?.Value ?? [];

    /// <summary>The enumerators of an enum.</summary>
    public IReadOnlyList<KEnumerator> Enumerators => _enumerators?.Value ?? [];

    /// <summary>The parameters of a function type.</summary>
    public IReadOnlyList<KParameter> Parameters => _parameters?.Value ?? [];

    /// <summary>Whether the kind is struct or union.</summary>
    public bool IsCompound => Kind is TypeKind.Struct or TypeKind.Union;

    /// <summary>Whether values of this type are integers (int, bool, enum, pointer), after typedefs.</summary>
    public bool IsIntegerLike => Unaliased().Kind is TypeKind.Int or TypeKind.Bool or TypeKind.Enum or TypeKind.Pointer;

    /// <summary>A named or unnamed integer type.</summary>
    public static KType Int(string name, ulong size, bool signed) => new(TypeKind.Int, name, size) { IsSigned = signed };

    /// <summary>The <c>_Bool</c> type.</summary>
    public static KType Bool(string name, ulong size) => new(TypeKind.Bool, name, size);

    /// <summary>A floating-point type.</summary>
    public static KType Float(string name, ulong size) => new(TypeKind.Float, name, size) { IsSigned = true };

    /// <summary>A pointer to <paramref name="target"/> (resolved lazily, so types may refer to each other).</summary>
    public static KType Pointer(Func<QualifiedType> target, ulong size = 8) => new(TypeKind.Pointer, null, size, target);

    /// <summary>A pointer to a known type.</summary>
    public static KType Pointer(QualifiedType target, ulong size = 8) => Pointer(() => target, size);

    /// <summary>An array of <paramref name="length"/> elements (null: incomplete/flexible).</summary>
    public static KType Array(Func<QualifiedType> element, ulong? length, ulong elementSize) =>
        new(TypeKind.Array, null, length is { } n ? n * elementSize : 0, element) { Length = length, IsComplete = length is not null };

    /// <summary>An array of a known element type.</summary>
    public static KType Array(QualifiedType element, ulong? length) => Array(() => element, length, element.Type.Size);

    /// <summary>A typedef.</summary>
    public static KType Typedef(string name, Func<QualifiedType> target, ulong size, SourceLocation? declared = null) =>
        new(TypeKind.Typedef, name, size, target) { Declared = declared };

    /// <summary>A typedef of a known type.</summary>
    public static KType Typedef(string name, QualifiedType target, SourceLocation? declared = null) => Typedef(name, () => target, target.Type.Unaliased().Size, declared);

    /// <summary>A struct (<paramref name="members"/> null: a declaration only, incomplete).</summary>
    public static KType Struct(string? name, ulong size, Func<IReadOnlyList<KMember>>? members, SourceLocation? declared = null) =>
        Compound(TypeKind.Struct, name, size, members, declared);

    /// <summary>A union (<paramref name="members"/> null: a declaration only, incomplete).</summary>
    public static KType Union(string? name, ulong size, Func<IReadOnlyList<KMember>>? members, SourceLocation? declared = null) =>
        Compound(TypeKind.Union, name, size, members, declared);

    /// <summary>An enum (<paramref name="enumerators"/> null: a declaration only).</summary>
    public static KType Enum(string? name, ulong size, bool signed, Func<IReadOnlyList<KEnumerator>>? enumerators, Func<QualifiedType>? compatible = null, SourceLocation? declared = null) =>
        new(TypeKind.Enum, name, size, null, enumerators, null, compatible) { IsSigned = signed, IsComplete = enumerators is not null, Declared = declared };

    /// <summary>A function type.</summary>
    public static KType Function(Func<QualifiedType> returns, Func<IReadOnlyList<KParameter>> parameters, bool variadic) =>
        new(TypeKind.Function, null, 0, null, null, parameters, returns) { IsVariadic = variadic };

    /// <summary>This type with typedefs removed (qualifiers on the typedef targets are dropped).</summary>
    public KType Unaliased()
    {
        var t = this;
        for (int guard = 0; t.Kind == TypeKind.Typedef && guard < 64; guard++)
        {
            t = t.Target!.Value.Type;
        }

        return t;
    }

    /// <summary>
    /// Finds a member by name, looking through anonymous struct/union members as C does.
    /// Returns the member and its bit offset from the start of this type.
    /// </summary>
    public bool TryFindMember(string name, out KMember member, out ulong bitOffset)
    {
        var t = Unaliased();
        foreach (var m in t.Members)
        {
            if (m.Name == name)
            {
                member = m;
                bitOffset = m.BitOffset;
                return true;
            }

            if (m.Name is null && m.Type.Type.Unaliased().IsCompound && m.Type.Type.TryFindMember(name, out member, out var inner))
            {
                bitOffset = m.BitOffset + inner;
                return true;
            }
        }

        member = null!;
        bitOffset = 0;
        return false;
    }

    /// <summary>The C spelling, e.g. "struct task_struct", "char *", "int [16]".</summary>
    public override string ToString() => TypeNames.Declaration(new QualifiedType(this), string.Empty);

    private static KType Compound(TypeKind kind, string? name, ulong size, Func<IReadOnlyList<KMember>>? members, SourceLocation? declared) =>
        new(kind, name, size, members, null, null, null) { IsComplete = members is not null, Declared = declared };
}
