using System.Collections.Concurrent;
using System.Text;
using Kdx.Core.Dumps;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// Builds a <see cref="DwarfIndex"/> by scanning the top-level DIEs of every unit in parallel. Only
/// the DIEs that can carry a global name are decoded; everything else, and every subtree (members,
/// function bodies), is skipped by DW_AT_sibling or by the abbreviation's fixed attribute size.
/// Names are first kept as keys (a .debug_str offset, or short inline strings packed into the
/// key), so the same name repeated in thousands of units costs one dictionary probe each and one
/// string in the end.
/// </summary>
internal static class IndexBuilder
{
    // Name keys: the top two bits say where the name is.
    private const ulong KeyLineStr = 1UL << 62;
    private const ulong KeyPacked = 2UL << 62;
    private const ulong KeyInline = 3UL << 62;
    private const ulong KeyKindMask = 3UL << 62;

    /// <summary>
    /// Scans every unit of <paramref name="file"/> with at most <paramref name="threads"/> threads. The
    /// names of a space are merged into one dictionary the first time that space is asked for.
    /// </summary>
    public static DwarfIndex Build(DwarfFile file, int threads, CancellationToken cancel = default)
    {
        var units = file.Units;
        var partials = new ConcurrentBag<Dictionary<ulong, IndexEntry>[]>();
        var warnings = new ConcurrentBag<(int Unit, string Message)>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancel };
        Parallel.For(
            0,
            units.Count,
            options,
            NewSpaces,
            (i, _, spaces) =>
            {
                try
                {
                    ScanUnit(file, units[i], spaces);
                    units[i].Section.Release(units[i].Offset, units[i].Length);
                }
                catch (DumpFormatException e)
                {
                    // One corrupt unit must not take the types of all the others with it; the names read
                    // before the damage stay in the index.
                    warnings.Add((i, $"the unit at {units[i].Section.Name} offset 0x{units[i].Offset:x} is indexed only up to the damage: {e.Message}"));
                }

                return spaces;
            },
            partials.Add);

        var parts = partials.ToArray();
        var spaces = new Func<Dictionary<string, IndexEntry>>[DwarfIndex.SpaceCount];
        for (int i = 0; i < spaces.Length; i++)
        {
            int space = i;
            spaces[i] = () => Merge(file, parts, space);
        }

        return new DwarfIndex(spaces, [.. warnings.OrderBy(w => w.Unit).Select(w => w.Message)], $"scanned {units.Count} units", fromCache: false);
    }

    private static Dictionary<ulong, IndexEntry>[] NewSpaces()
    {
        var spaces = new Dictionary<ulong, IndexEntry>[DwarfIndex.SpaceCount];
        for (int i = 0; i < spaces.Length; i++)
        {
            spaces[i] = [];
        }

        return spaces;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ScanUnit(DwarfFile file, DwarfUnit unit, Dictionary<ulong, IndexEntry>[] spaces)
    {
        var table = AbbrevTable.Parse(file.Abbrev, unit.AbbrevOffset, unit.Format);
        unit.EnsureRoot(file, table);
        var section = unit.Section;
        var r = section.Reader(unit.FirstDie);
        ulong rootCode = r.Uleb();
        if (rootCode == 0)
        {
            return;
        }

        ref readonly var root = ref table.Get(rootCode, section, unit.FirstDie);
        DwarfFile.SkipAttributes(ref r, table, root, unit.Format);
        if (!root.HasChildren)
        {
            return;
        }

        var format = unit.Format;
        var specs = table.Specs;
        while (true)
        {
            int dieAt = r.Position;
            if (dieAt >= unit.End)
            {
                throw section.Error(unit.Offset, "the unit's DIEs run past its end (no null entry after the top-level DIEs)");
            }

            ulong code = r.Uleb();
            if (code == 0)
            {
                return;
            }

            ref readonly var a = ref table.Get(code, section, dieAt);
            int space = DwarfIndex.SpaceIndex(a.Tag);
            if (space < 0)
            {
                r.Position = SkipDie(ref r, table, a, unit, dieAt);
                continue;
            }

            AttributeValue name = default, origin = default, sibling = default;
            bool declaration = false, external = false, hasCode = false, hasLocation = false, isInline = false;
            for (int s = a.FirstSpec, end = a.FirstSpec + a.SpecCount; s < end; s++)
            {
                ref readonly var spec = ref specs[s];
                switch (spec.Name)
                {
                    case DwAt.Name:
                        name = Forms.Read(ref r, spec.Name, spec.Form, spec.ImplicitConst, unit);
                        break;
                    case DwAt.Specification or DwAt.AbstractOrigin:
                        origin = Forms.Read(ref r, spec.Name, spec.Form, spec.ImplicitConst, unit);
                        break;
                    case DwAt.Sibling:
                        sibling = Forms.Read(ref r, spec.Name, spec.Form, spec.ImplicitConst, unit);
                        break;
                    case DwAt.Declaration:
                        declaration = Forms.Read(ref r, spec.Name, spec.Form, spec.ImplicitConst, unit).Value != 0;
                        break;
                    case DwAt.External:
                        external = Forms.Read(ref r, spec.Name, spec.Form, spec.ImplicitConst, unit).Value != 0;
                        break;
                    case DwAt.LowPc or DwAt.Ranges:
                        hasCode = true;
                        Forms.Skip(ref r, spec.Form, format);
                        break;
                    case DwAt.Location or DwAt.ConstValue:
                        hasLocation = true;
                        Forms.Skip(ref r, spec.Form, format);
                        break;
                    case DwAt.Inline:
                        isInline = true;
                        Forms.Skip(ref r, spec.Form, format);
                        break;
                    default:
                        if (spec.Size >= 0)
                        {
                            r.Skip((ulong)spec.Size);
                        }
                        else
                        {
                            Forms.Skip(ref r, spec.Form, format);
                        }

                        break;
                }
            }

            int afterAttributes = r.Position;
            if (a.HasChildren)
            {
                long target = (long)sibling.Value & ~DwarfUnit.TypesSectionTag;
                r.Position = sibling.Class == FormClass.Reference && sibling.Value != ulong.MaxValue && target > dieAt && target <= unit.End
                    ? (int)target
                    : DwarfFile.SkipSubtree(unit, table, afterAttributes);
            }

            ulong key;
            if (name.Exists)
            {
                if (!TryKey(file, unit, name, out key))
                {
                    continue;
                }
            }
            else if (origin.Class != FormClass.Reference || !TryOriginKey(file, unit, table, (long)origin.Value, out key, ref external))
            {
                // A definition that points at its declaration or abstract instance takes the name from there.
                continue;
            }

            byte rank = (IndexSpace)space switch
            {
                IndexSpace.Variable => hasLocation && !declaration ? (byte)(external ? 4 : 3) : (byte)(declaration ? 1 : 2),
                IndexSpace.Function => hasCode ? (byte)(external ? 5 : 4) : isInline ? (byte)3 : (byte)(declaration ? 1 : 2),
                _ => declaration ? (byte)1 : (byte)2,
            };

            var entry = new IndexEntry(unit.DieRef(dieAt), rank, a.Tag);
            var map = spaces[space];
            ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(map, key, out bool exists);
            if (!exists || entry.IsBetterThan(slot))
            {
                slot = entry;
            }
        }
    }

    /// <summary>Skips a DIE the index does not want, with its subtree, and returns the offset after it.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static int SkipDie(ref DwarfReader r, AbbrevTable table, in Abbrev a, DwarfUnit unit, int dieAt)
    {
        if (!a.HasChildren)
        {
            DwarfFile.SkipAttributes(ref r, table, a, unit.Format);
            return r.Position;
        }

        var d = new Die { Ref = unit.DieRef(dieAt), Unit = unit, HasChildren = true };
        if (a.Sibling >= 0)
        {
            var spec = table.SpecsOf(a)[a.Sibling];
            int start = r.Position;
            if (spec.FixedOffset >= 0)
            {
                r.Position = start + spec.FixedOffset;
                d.Sibling = Forms.Read(ref r, spec.Name, spec.Form, spec.ImplicitConst, unit);
                r.Position = start;
            }
        }

        DwarfFile.SkipAttributes(ref r, table, a, unit.Format);
        d.AttributesEnd = r.Position;
        if (d.Sibling.Class == FormClass.Reference && d.Sibling.Value != ulong.MaxValue)
        {
            long target = (long)d.Sibling.Value & ~DwarfUnit.TypesSectionTag;
            if (target > dieAt && target <= unit.End)
            {
                return (int)target;
            }
        }

        return DwarfFile.SkipSubtree(unit, table, d.AttributesEnd);
    }

    /// <summary>Follows DW_AT_specification/DW_AT_abstract_origin to the DIE that has the name, and keys it.</summary>
    private static bool TryOriginKey(DwarfFile file, DwarfUnit unit, AbbrevTable table, long target, out ulong key, ref bool external)
    {
        key = 0;
        for (int hop = 0; hop < 8; hop++)
        {
            if (!unit.Contains(target))
            {
                if (!file.TryUnitOf(target, out var other))
                {
                    return false;
                }

                unit = other;
                table = other.Abbrevs(file);
            }

            var d = DwarfFile.ReadDie(unit, table, (int)(target & ~DwarfUnit.TypesSectionTag));
            external |= d.External;
            if (d.Name.Exists)
            {
                return TryKey(file, unit, d.Name, out key);
            }

            var next = d.Origin;
            if (next.Class != FormClass.Reference || next.Value == ulong.MaxValue)
            {
                return false;
            }

            target = (long)next.Value;
        }

        return false;
    }

    /// <summary>The key of a name: where it lives (a string offset), or short inline names packed into the key.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static bool TryKey(DwarfFile file, DwarfUnit unit, in AttributeValue name, out ulong key)
    {
        switch (name.Class)
        {
            case FormClass.StringOffset:
                key = name.Value;
                return key < KeyLineStr;
            case FormClass.StringIndex:
                key = file.StrOffset(unit, name.Value);
                return key < KeyLineStr;
            case FormClass.LineStringOffset:
                key = KeyLineStr | name.Value;
                return name.Value < KeyLineStr;
            case FormClass.InlineString:
                {
                    var bytes = unit.Section.Data.Span.Slice(name.Position, name.Size);
                    if (bytes.Length <= 7)
                    {
                        ulong packed = 0;
                        for (int i = 0; i < bytes.Length; i++)
                        {
                            packed |= (ulong)bytes[i] << (8 * i);
                        }

                        key = KeyPacked | ((ulong)bytes.Length << 56) | packed;
                        return true;
                    }

                    key = KeyInline | (ulong)unit.DieRef(name.Position);
                    return true;
                }

            default:
                key = 0;
                return false;
        }
    }

    /// <summary>Turns the keys every thread found for one space into names and keeps the best entry per name.</summary>
    private static Dictionary<string, IndexEntry> Merge(DwarfFile file, Dictionary<ulong, IndexEntry>[][] parts, int space)
    {
        int capacity = parts.Length == 0 ? 0 : parts.Max(p => p[space].Count);
        var map = new Dictionary<string, IndexEntry>(capacity, StringComparer.Ordinal);
        var names = new Dictionary<ulong, string>(capacity);
        foreach (var part in parts)
        {
            foreach (var (key, entry) in part[space])
            {
                if (!names.TryGetValue(key, out var name))
                {
                    name = KeyName(file, key);
                    names.Add(key, name);
                }

                ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(map, name, out bool exists);
                if (!exists || entry.IsBetterThan(slot))
                {
                    slot = entry;
                }
            }
        }

        return map;
    }

    private static string KeyName(DwarfFile file, ulong key)
    {
        ulong value = key & ~KeyKindMask;
        switch (key & KeyKindMask)
        {
            case 0:
                return Encoding.UTF8.GetString(DwarfFile.StringAt(file.Sections.Str, value));
            case KeyLineStr:
                return Encoding.UTF8.GetString(DwarfFile.StringAt(file.Sections.LineStr, value));
            case KeyPacked:
                {
                    int length = (int)(value >> 56);
                    Span<byte> bytes = stackalloc byte[7];
                    for (int i = 0; i < length; i++)
                    {
                        bytes[i] = (byte)(value >> (8 * i));
                    }

                    return Encoding.UTF8.GetString(bytes[..length]);
                }

            default:
                {
                    long at = (long)value;
                    var section = (at & DwarfUnit.TypesSectionTag) != 0 ? file.Sections.Types : file.Sections.Info;
                    return Encoding.UTF8.GetString(DwarfFile.StringAt(section, (ulong)(at & ~DwarfUnit.TypesSectionTag)));
                }
        }
    }
}
