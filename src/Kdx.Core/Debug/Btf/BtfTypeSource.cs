using Kdx.Core.Types;

namespace Kdx.Core.Debug.Btf;

/// <summary>A variable BTF describes: a VAR record, and where its DATASEC puts it.</summary>
/// <param name="Name">The variable's name.</param>
/// <param name="Type">Its type.</param>
/// <param name="Section">The DATASEC that lists it (".data..percpu" for a vmlinux), or null.</param>
/// <param name="Offset">Its offset in that section (for per-CPU variables: the per-CPU offset).</param>
/// <param name="Size">Its size as the section records it.</param>
public sealed record BtfVariable(string Name, QualifiedType Type, string? Section, uint Offset, uint Size);

/// <summary>
/// Kernel types from BTF, as <see cref="KType"/>s: the vmlinux's (from its .BTF section or from the dump's
/// memory) or a module's split BTF over the vmlinux's. Types are built on first use and shared; the name
/// index is built on the first lookup by name. Safe for concurrent lookups.
/// <para>
/// Variables: BTF has VAR records only for what pahole chose to describe. A vmlinux's BTF (pahole 1.16+)
/// holds the per-CPU variables only (its one DATASEC, ".data..percpu"), so <see cref="FindVariableType"/>
/// finds <c>runqueues</c> or <c>current_task</c> but not <c>init_task</c> or <c>jiffies</c>; the other
/// globals need DWARF. Functions: one FUNC record per function pahole kept, with its prototype.
/// </para>
/// </summary>
public sealed partial class BtfTypeSource : ITypeSource
{
    private const uint IntSigned = 1;
    private const uint IntBool = 4;

    private readonly BtfData _data;
    private readonly BtfTypeSource? _base;
    private readonly KType?[] _types;
    private readonly int _pointerSize;
    private NameIndex? _index;
    private Dictionary<string, int>? _enumerators;

    /// <summary>Creates a source over parsed BTF.</summary>
    /// <param name="data">The BTF.</param>
    /// <param name="baseSource">For split BTF, the source of <see cref="BtfData.Base"/>.</param>
    /// <param name="pointerSize">sizeof(void *) of the kernel (BTF does not record it).</param>
    public BtfTypeSource(BtfData data, BtfTypeSource? baseSource = null, int pointerSize = 8)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Base is not null && (baseSource is null || !ReferenceEquals(baseSource.Data, data.Base)))
        {
            throw new ArgumentException($"{data.Name} is split BTF: give the source of its base BTF ({data.Base.Name})", nameof(baseSource));
        }

        _data = data;
        _base = data.Base is null ? null : baseSource;
        _types = new KType?[data.LocalCount];
        _pointerSize = pointerSize;
    }

    /// <inheritdoc/>
    public string Description => $"BTF ({_data.Name})";

    /// <summary>The BTF this source reads.</summary>
    public BtfData Data => _data;

    /// <summary>The base source of split BTF, or null.</summary>
    public BtfTypeSource? Base => _base;

    /// <summary>
    /// Finds a named type of this BTF (not of its base). <paramref name="kind"/> Struct, Union or Enum selects
    /// the tag namespace (a definition wins over a FWD declaration); null finds integers, floats and typedefs
    /// (and "void"); another kind filters those.
    /// </summary>
    public KType? FindType(string name, TypeKind? kind = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var index = Index;
        switch (kind)
        {
            case TypeKind.Struct:
                return index.Structs.TryGetValue(name, out int s) ? TypeAt(s) : null;
            case TypeKind.Union:
                return index.Unions.TryGetValue(name, out int u) ? TypeAt(u) : null;
            case TypeKind.Enum:
                return index.Enums.TryGetValue(name, out int e) ? TypeAt(e) : null;
            case null when name == "void":
                return KType.Void;
            case null or TypeKind.Int or TypeKind.Bool or TypeKind.Float or TypeKind.Typedef:
                if (index.Ordinary.TryGetValue(name, out int o))
                {
                    var t = TypeAt(o);
                    return kind is null || t.Kind == kind ? t : null;
                }

                return null;
            default:
                return null;
        }
    }

    /// <inheritdoc/>
    public QualifiedType? FindVariableType(string name) => TryGetVariable(name, out var v) ? v.Type : (QualifiedType?)null;

    /// <summary>Finds a variable BTF describes (see the class remarks for which ones that are).</summary>
    public bool TryGetVariable(string name, out BtfVariable variable)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Index.Variables.TryGetValue(name, out var found))
        {
            variable = found.Value;
            return true;
        }

        variable = null!;
        return false;
    }

    /// <summary>Every variable of this BTF, in record order.</summary>
    public IEnumerable<BtfVariable> Variables => Index.Variables.Values.Select(v => v.Value);

    /// <inheritdoc/>
    public KType? FindFunctionType(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Index.Functions.TryGetValue(name, out int id))
        {
            return null;
        }

        return Resolve((int)_data.Record(id).SizeOrType).Type;
    }

    /// <inheritdoc/>
    public IEnumerable<string> TypeNames(TypeKind kind)
    {
        var index = Index;
        return kind switch
        {
            TypeKind.Struct => index.Structs.Keys,
            TypeKind.Union => index.Unions.Keys,
            TypeKind.Enum => index.Enums.Keys,
            TypeKind.Function => index.Functions.Keys,
            TypeKind.Int or TypeKind.Bool or TypeKind.Float or TypeKind.Typedef =>
                index.Ordinary.Where(p => TypeAt(p.Value).Kind == kind).Select(p => p.Key),
            _ => [],
        };
    }

    /// <inheritdoc/>
    public KType? FindEnumeratorType(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var enumerators = _enumerators ?? Interlocked.CompareExchange(ref _enumerators, BuildEnumeratorIndex(), null) ?? _enumerators;
        return enumerators.TryGetValue(name, out int id) ? TypeAt(id) : null;
    }

    private NameIndex Index => _index ?? Interlocked.CompareExchange(ref _index, BuildIndex(), null) ?? _index;

    /// <summary>Enumerator name → its enum's id (the first enum that has it), made on the first constant looked up.</summary>
    private Dictionary<string, int> BuildEnumeratorIndex()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = _data.FirstId; id < _data.EndId; id++)
        {
            var r = _data.Record(id);
            if (r.Kind is not (BtfKind.Enum or BtfKind.Enum64))
            {
                continue;
            }

            int words = r.Kind == BtfKind.Enum ? 2 : 3;
            for (int i = 0; i < r.Vlen; i++)
            {
                if (_data.String(r.Word(words * i)) is { Length: > 0 } name)
                {
                    index.TryAdd(name, id);
                }
            }
        }

        return index;
    }

    /// <summary>One pass over the records: names by namespace, and the variables with their sections.</summary>
    private NameIndex BuildIndex()
    {
        var index = new NameIndex();
        var sections = new Dictionary<int, (string? Section, uint Offset, uint Size)>();
        for (int id = _data.FirstId; id < _data.EndId; id++)
        {
            var r = _data.Record(id);
            if (r.Kind == BtfKind.DataSection)
            {
                string? section = _data.String(r.NameOffset);
                for (int i = 0; i < r.Vlen; i++)
                {
                    sections.TryAdd((int)r.Word(3 * i), (section, r.Word((3 * i) + 1), r.Word((3 * i) + 2)));
                }

                continue;
            }

            // A name offset may point at an empty string as well as be 0.
            if (r.NameOffset == 0 || _data.String(r.NameOffset) is not { } name)
            {
                continue;
            }

            switch (r.Kind)
            {
                case BtfKind.Struct or BtfKind.Union:
                    AddDefinition(r.Kind == BtfKind.Struct ? index.Structs : index.Unions, name, id);
                    break;
                case BtfKind.Forward:
                    (r.KindFlag ? index.Unions : index.Structs).TryAdd(name, id);
                    break;
                case BtfKind.Enum or BtfKind.Enum64:
                    index.Enums.TryAdd(name, id);
                    break;
                case BtfKind.Int or BtfKind.Float or BtfKind.Typedef:
                    index.Ordinary.TryAdd(name, id);
                    break;
                case BtfKind.Function:
                    index.Functions.TryAdd(name, id);
                    break;
                case BtfKind.Variable:
                    index.VariableIds.TryAdd(name, id);
                    break;
            }
        }

        foreach (var (name, id) in index.VariableIds)
        {
            int type = (int)_data.Record(id).SizeOrType;
            var where = sections.TryGetValue(id, out var s) ? s : (null, 0u, (uint)SizeOf(type));
            index.Variables[name] = new Lazy<BtfVariable>(() => new BtfVariable(name, Resolve(type), where.Section, where.Offset, where.Size));
        }

        return index;
    }

    /// <summary>The first definition of a tag wins; a definition replaces a FWD declaration.</summary>
    private void AddDefinition(Dictionary<string, int> tags, string name, int id)
    {
        if (!tags.TryGetValue(name, out int known) || _data.KindOf(known) == BtfKind.Forward)
        {
            tags[name] = id;
        }
    }

    private sealed class NameIndex
    {
        public Dictionary<string, int> Structs { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> Unions { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> Enums { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> Ordinary { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> Functions { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> VariableIds { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Lazy<BtfVariable>> Variables { get; } = new(StringComparer.Ordinal);
    }
}
