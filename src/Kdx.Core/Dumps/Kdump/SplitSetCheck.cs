namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// Checks that files given together form one makedumpfile --split set: every file is marked split,
/// all come from the same crash (identical disk_dump_header, as crash's add_diskdump_data() demands),
/// and their pfn ranges neither overlap nor leave a gap between 0 and max_mapnr.
/// </summary>
internal static class SplitSetCheck
{
    public static void Verify(IReadOnlyList<KdumpPart> parts)
    {
        var first = parts[0];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parts)
        {
            if (!names.Add(p.Name))
            {
                throw new DumpFormatException(p.Name, "is given twice in the split dump set");
            }

            if (!p.IsSplit)
            {
                throw new DumpFormatException(p.Name, "is not a file of a split dump set (kdump_sub_header.split is 0); give a whole dump alone");
            }

            string? differs = FirstDifference(first, p);
            if (differs != null)
            {
                throw new DumpFormatException(p.Name, $"does not belong to the same dump as {first.Name}: {differs} differs");
            }
        }

        var sorted = parts.OrderBy(p => p.StartPfn).ThenBy(p => p.EndPfn).ToList();
        ulong covered = 0;
        KdumpPart? previous = null;
        foreach (var p in sorted)
        {
            if (p.StartPfn > covered)
            {
                string after = previous == null ? "the start" : previous.Name;
                throw new DumpFormatException(p.Name, $"split dump set has a gap: pfns 0x{covered:x}-0x{p.StartPfn:x} (after {after}) are in no file; is a file of the set missing?");
            }

            if (p.StartPfn < covered)
            {
                throw new DumpFormatException(p.Name, $"split dump set files overlap: {p.Name} holds pfns 0x{p.StartPfn:x}-0x{p.EndPfn:x}, {previous!.Name} holds pfns up to 0x{covered:x}");
            }

            covered = p.EndPfn;
            previous = p;
        }

        if (covered < first.MaxMapnr)
        {
            throw new DumpFormatException(previous!.Name, $"split dump set ends at pfn 0x{covered:x} but max_mapnr is 0x{first.MaxMapnr:x}; is a file of the set missing?");
        }
    }

    private static string? FirstDifference(KdumpPart a, KdumpPart b)
    {
        var x = a.Header;
        var y = b.Header;
        if (x.Signature != y.Signature)
        {
            return "the signature";
        }

        if (x.Utsname != y.Utsname)
        {
            return "the utsname";
        }

        if (x.TimestampSeconds != y.TimestampSeconds || x.TimestampMicroseconds != y.TimestampMicroseconds)
        {
            return "the timestamp";
        }

        if (a.MaxMapnr != b.MaxMapnr)
        {
            return "max_mapnr";
        }

        if (x.BlockSize != y.BlockSize)
        {
            return "block_size";
        }

        if (x != y)
        {
            return "the disk_dump_header";
        }

        return null;
    }
}
