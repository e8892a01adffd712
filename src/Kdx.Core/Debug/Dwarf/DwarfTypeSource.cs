using System.Diagnostics;
using Kdx.Core.Dumps;
using Kdx.Core.Elf;
using Kdx.Core.Types;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// Types, variables, functions and line numbers from the DWARF of a vmlinux or a kernel module
/// (DWARF 2 to 5). Opening costs nothing; the first lookup builds a name index (from the on-disk
/// cache when one matches, else by scanning every unit in parallel), and DIEs become
/// <see cref="KType"/>s only when asked for. Safe for concurrent use. The ELF file must stay open
/// while the source is used (uncompressed sections are read in place).
/// </summary>
public sealed partial class DwarfTypeSource : ITypeSource, IDisposable
{
    private readonly ElfFile? _elf;
    private readonly DwarfOptions _options;
    private readonly Lazy<DwarfFile> _file;
    private readonly Lazy<TypeBuilder> _types;
    private readonly object _indexLock = new();
    private readonly CancellationTokenSource _cancel = new();
    private Task<DwarfIndex>? _indexTask;
    private Task? _cacheSave;
    private DwarfIndex? _index;
    private bool _disposed;

    private DwarfTypeSource(string name, ElfFile? elf, Func<DwarfFile> open, DwarfOptions? options)
    {
        _elf = elf;
        _options = options ?? DwarfOptions.Default;
        _file = new Lazy<DwarfFile>(open, LazyThreadSafetyMode.ExecutionAndPublication);
        _types = new Lazy<TypeBuilder>(() => new TypeBuilder(File, CompleteDefinition, DeclarationFileName), LazyThreadSafetyMode.ExecutionAndPublication);
        Description = $"DWARF ({Path.GetFileName(name)})";
        HasDebugInfo = elf is null || elf.FindSection(".debug_info") is { HasContents: true };
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <summary>Whether the file has DWARF at all (a .debug_info section).</summary>
    public bool HasDebugInfo { get; }

    /// <summary>Where the index came from and how long it took, once built ("cache FILE in 12 ms", "scanned 2172 units in 640 ms").</summary>
    public string? IndexDescription { get; private set; }

    /// <summary>Units that could not be indexed (corrupt), and why; their names are missing from lookups.</summary>
    public IReadOnlyList<string> Warnings => _index is { } index ? [.. File.Warnings, .. index.Warnings] : [];

    private DwarfFile File => _file.Value;

    private DwarfIndex Index => _index ?? WaitForIndex();

    /// <summary>Reads the DWARF of a vmlinux (or any ET_EXEC/ET_DYN file).</summary>
    public static DwarfTypeSource Open(ElfFile file, DwarfOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new(file.Name, file, () => DwarfFile.FromElf(file), options);
    }

    /// <summary>
    /// Reads the DWARF of a kernel module (.ko, ET_REL), applying its .rela.debug_* relocations with its
    /// allocated sections at <paramref name="sectionAddresses"/> (section name → run-time address, as
    /// <c>struct module</c>'s section attributes give them). Sections not given are laid out from 0.
    /// </summary>
    public static DwarfTypeSource OpenModule(ElfFile module, IReadOnlyDictionary<string, ulong>? sectionAddresses = null, DwarfOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        return new(module.Name, module, () => DwarfFile.FromElf(module, sectionAddresses), options);
    }

    /// <summary>
    /// DWARF given as section bytes (".debug_info", ".debug_abbrev", ".debug_str", ".debug_line" …), already
    /// relocated: for tools that hold the sections elsewhere, and for tests. No index cache is used.
    /// </summary>
    public static DwarfTypeSource FromSections(string name, IReadOnlyDictionary<string, byte[]> sections, DwarfOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sections);
        var copy = new Dictionary<string, byte[]>(sections, StringComparer.Ordinal);
        return new(name, null, () => new DwarfFile(DwarfSections.FromBytes(name, copy)), options);
    }

    /// <summary>Starts building the index in the background (returns at once); lookups wait for it.</summary>
    public Task StartIndexing() => StartIndexingTask();

    /// <summary>
    /// Stops a background index build and waits for it and for a cache file being written (the ELF
    /// file's mapping must outlive them). Lookups afterwards throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        Task? index, save;
        lock (_indexLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            index = _indexTask;
            save = _cacheSave;
        }

        _cancel.Cancel();
        foreach (var task in (Task?[])[index, save])
        {
            try
            {
                task?.Wait();
            }
            catch (AggregateException)
            {
                // cancelled, or failed: its error was (or would have been) reported to the lookup that waited for it
            }
        }

        _cancel.Dispose();
    }

    /// <inheritdoc/>
    public KType? FindType(string name, TypeKind? kind = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        name = name.Trim();
        if (kind is null)
        {
            foreach (var (prefix, k) in (ReadOnlySpan<(string, TypeKind)>)[("struct ", TypeKind.Struct), ("union ", TypeKind.Union), ("enum ", TypeKind.Enum)])
            {
                if (name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return FindType(name[prefix.Length..], k);
                }
            }
        }

        switch (kind)
        {
            case TypeKind.Struct:
                return Lookup(IndexSpace.Struct, name) is { } s ? Types.Type(s.Die) : null;
            case TypeKind.Union:
                return Lookup(IndexSpace.Union, name) is { } u ? Types.Type(u.Die) : null;
            case TypeKind.Enum:
                return Lookup(IndexSpace.Enum, name) is { } e ? Types.Type(e.Die) : null;
            case TypeKind.Void:
                return name == "void" ? KType.Void : null;
            case null or TypeKind.Typedef or TypeKind.Int or TypeKind.Bool or TypeKind.Float:
                {
                    if (name == "void")
                    {
                        return kind is null ? KType.Void : null;
                    }

                    var entry = Lookup(IndexSpace.Type, name);
                    if (entry is null && BaseTypeNames.GccSpelling(name) is { } spelled && spelled != name)
                    {
                        entry = Lookup(IndexSpace.Type, spelled);
                    }

                    if (entry is null)
                    {
                        return null;
                    }

                    var type = Types.Type(entry.Value.Die);
                    return kind is null || type.Kind == kind ? type : null;
                }

            default:
                return null;
        }
    }

    /// <inheritdoc/>
    public QualifiedType? FindVariableType(string name)
    {
        if (Lookup(IndexSpace.Variable, name) is not { } v)
        {
            return null;
        }

        return Types.TypeOf(File.ReadDie(v.Die));
    }

    /// <inheritdoc/>
    public KType? FindFunctionType(string name) =>
        Lookup(IndexSpace.Function, name) is { } f ? Types.FunctionOf(f.Die) : null;

    /// <inheritdoc/>
    public IEnumerable<string> TypeNames(TypeKind kind)
    {
        var space = kind switch
        {
            TypeKind.Struct => IndexSpace.Struct,
            TypeKind.Union => IndexSpace.Union,
            TypeKind.Enum => IndexSpace.Enum,
            TypeKind.Typedef or TypeKind.Int or TypeKind.Bool or TypeKind.Float => IndexSpace.Type,
            _ => (IndexSpace?)null,
        };

        if (space is null)
        {
            return [];
        }

        var entries = Index.Entries(space.Value);
        if (kind == TypeKind.Typedef)
        {
            entries = entries.Where(e => e.Value.Tag == DwTag.Typedef);
        }
        else if (kind is TypeKind.Int or TypeKind.Bool or TypeKind.Float)
        {
            entries = entries.Where(e => e.Value.Tag == DwTag.BaseType && Types.Type(e.Value.Die).Kind == kind);
        }

        return entries.Select(e => e.Key).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The names of all global and static variables (for completion and searches).</summary>
    public IEnumerable<string> VariableNames() => Index.Entries(IndexSpace.Variable).Select(e => e.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>The names of all functions.</summary>
    public IEnumerable<string> FunctionNames() => Index.Entries(IndexSpace.Function).Select(e => e.Key).Order(StringComparer.Ordinal).ToList();

    private TypeBuilder Types => _types.Value;

    private DwarfIndex WaitForIndex()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var index = StartIndexingTask().GetAwaiter().GetResult();
        _index ??= index;
        return _index;
    }

    private Task<DwarfIndex> StartIndexingTask()
    {
        lock (_indexLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _indexTask ??= Task.Run(LoadOrBuildIndex, _cancel.Token);
        }
    }

    private DwarfIndex LoadOrBuildIndex()
    {
        var clock = Stopwatch.StartNew();
        var file = File;
        string? cachePath = CachePath(file, out var key);
        if (cachePath is not null && IndexCache.TryLoad(cachePath, key!) is { } cached)
        {
            IndexDescription = $"{cached.Origin} in {clock.ElapsedMilliseconds} ms";
            _index = cached;
            return cached;
        }

        var built = IndexBuilder.Build(file, Math.Clamp(_options.MaxThreads, 1, Environment.ProcessorCount), _cancel.Token);
        IndexDescription = $"{built.Origin} in {clock.ElapsedMilliseconds} ms";
        _index = built;
        SaveInBackground(cachePath, key, built);
        return built;
    }

    /// <summary>Writes the cache file after the index is built, off the path to the first answer.</summary>
    private void SaveInBackground(string? cachePath, IndexCacheKey? key, DwarfIndex index)
    {
        if (cachePath is null || key is null || index.Warnings.Count > 0)
        {
            return;
        }

        lock (_indexLock)
        {
            if (!_disposed)
            {
                _cacheSave = Task.Run(() => IndexCache.TrySave(cachePath, key, index));
            }
        }
    }

    private string? CachePath(DwarfFile file, out IndexCacheKey? key)
    {
        key = null;
        if (_elf is null || _options.IndexCacheDirectory is not { } dir || file.Sections.Info.Length < _options.MinCachedInfoBytes || BuildId(_elf) is not { } id)
        {
            return null;
        }

        var s = file.Sections;
        key = new IndexCacheKey(id, _elf.Source.Length, s.Info.Length, s.Abbrev.Length, s.Str.Length, s.Types.Length);
        return Path.Combine(dir, "dwarf-index", key.FileName);
    }

    /// <summary>The NT_GNU_BUILD_ID of the file, or null.</summary>
    private static byte[]? BuildId(ElfFile elf)
    {
        foreach (var section in elf.Sections)
        {
            if (section.Type != ElfConstants.ShtNote || section.Size > 1 << 16)
            {
                continue;
            }

            foreach (var note in elf.ReadNotes(section))
            {
                if (note.Name == "GNU" && note.Type == 3 && note.Descriptor.Length is > 0 and <= 64)
                {
                    return note.Descriptor.ToArray();
                }
            }
        }

        return null;
    }
}
