using System.Collections.Concurrent;
using System.Diagnostics;
using Kdx.Core.Dumps;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>Index lookups, with the checks that keep a stale or damaged cache from giving wrong answers.</summary>
public sealed partial class DwarfTypeSource
{
    private readonly ConcurrentDictionary<int, IReadOnlyList<string>> _fileNames = new();

    /// <summary>
    /// The best DIE for a name. An entry from a cache file must point at a DIE with the same tag and
    /// name; when it does not (or the cache cannot be decoded) the cache is thrown away and the index
    /// rebuilt by scanning.
    /// </summary>
    private IndexEntry? Lookup(IndexSpace space, string name)
    {
        var index = Index;
        try
        {
            if (!index.TryFind(space, name, out var entry))
            {
                return null;
            }

            if (!index.FromCache || Matches(entry, name))
            {
                return entry;
            }
        }
        catch (Exception e) when (index.FromCache && e is CacheCorruptException or DumpFormatException)
        {
            // fall through to the rebuild
        }

        var rebuilt = RebuildAfterBadCache(index);
        return rebuilt.TryFind(space, name, out var fresh) ? fresh : null;
    }

    private bool Matches(IndexEntry entry, string name)
    {
        var die = File.ReadDie(entry.Die);
        if (die.Tag != entry.Tag)
        {
            return false;
        }

        for (int hop = 0; hop < 8; hop++)
        {
            if (die.Name.Exists)
            {
                return File.String(die.Unit, die.Name) == name;
            }

            var origin = die.Origin;
            if (origin.Class != FormClass.Reference || origin.Value == ulong.MaxValue)
            {
                return false;
            }

            die = File.ReadDie((long)origin.Value);
        }

        return false;
    }

    private DwarfIndex RebuildAfterBadCache(DwarfIndex bad)
    {
        lock (_indexLock)
        {
            if (_index is { } current && !ReferenceEquals(current, bad))
            {
                return current;
            }

            var clock = Stopwatch.StartNew();
            string? cachePath = CachePath(File, out var key);
            if (cachePath is not null)
            {
                try
                {
                    System.IO.File.Delete(cachePath);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // the rebuilt index replaces it below, or the cache stays unused
                }
            }

            var built = IndexBuilder.Build(File, Math.Clamp(_options.MaxThreads, 1, Environment.ProcessorCount), _cancel.Token);
            IndexDescription = $"{built.Origin} in {clock.ElapsedMilliseconds} ms (the cache was wrong)";
            _index = built;
            _indexTask = Task.FromResult(built);
            if (cachePath is not null && key is not null && built.Warnings.Count == 0 && !_disposed)
            {
                _cacheSave = Task.Run(() => IndexCache.TrySave(cachePath, key, built));
            }

            return built;
        }
    }

    /// <summary>The complete definition of a struct, union or enum, for the type builder.</summary>
    private long? CompleteDefinition(IndexSpace space, string name) =>
        Lookup(space, name) is { Rank: >= 2 } entry ? entry.Die : null;

    /// <summary>File number <paramref name="number"/> of a unit's line table (DW_AT_decl_file).</summary>
    private string? DeclarationFileName(DwarfUnit unit, ulong number)
    {
        if (unit.StmtList is not { } offset)
        {
            return null;
        }

        var files = _fileNames.GetOrAdd(unit.Index, _ => LineProgramHeader.Read(File, unit, offset).Files);
        return number < (ulong)files.Count ? files[(int)number] : null;
    }
}
