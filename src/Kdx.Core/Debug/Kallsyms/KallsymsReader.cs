using System.Buffers.Binary;
using Kdx.Core.Dumps;
using Kdx.Core.Memory;
using Kdx.Core.Symbols;

namespace Kdx.Core.Debug.Kallsyms;

/// <summary>What <see cref="KallsymsReader.Read"/> found.</summary>
/// <param name="Symbols">The symbols at run-time addresses, sizes from the next symbol's address.</param>
/// <param name="AddressMode">How the addresses were stored.</param>
/// <param name="LongLengths">Whether names use the two-byte lengths of Linux v6.1+ (true also when no name needs them).</param>
public sealed record KallsymsTable(SymbolTable Symbols, KallsymsAddressMode AddressMode, bool LongLengths);

/// <summary>
/// Reads the kernel's own symbol table, kallsyms, out of a dump's memory: every symbol the kernel can
/// print (with CONFIG_KALLSYMS_ALL, data symbols too), without a vmlinux. The tables are read in a few bulk
/// reads and decoded with spans; the only allocation per symbol is its name.
/// </summary>
public static class KallsymsReader
{
    /// <summary>
    /// Reads kallsyms at <paramref name="locations"/> through <paramref name="memory"/> (the kernel's virtual
    /// memory: the tables are in the kernel image's read-only data). Throws <see cref="MemoryFaultException"/>
    /// when a table cannot be read and <see cref="KdxException"/> when one is malformed.
    /// </summary>
    /// <param name="memory">Kernel virtual memory.</param>
    /// <param name="locations">Where the tables are.</param>
    /// <param name="anchors">Known run-time addresses of some symbols (VMCOREINFO's SYMBOL(_stext) …) that confirm the address encoding.</param>
    /// <param name="relocation">The KASLR offset, recorded in the table (<see cref="SymbolTable.Relocation"/>).</param>
    /// <param name="limits">Limits for the symbol count.</param>
    public static KallsymsTable Read(IMemoryReader memory, KallsymsLocations locations, Func<string, ulong?>? anchors = null, long relocation = 0, ParseLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(locations);
        limits ??= ParseLimits.Default;
        uint count = memory.ReadUInt32(locations.NumSyms, "kallsyms_num_syms");
        if (count == 0 || count > (uint)limits.MaxSymbols)
        {
            throw new KdxException($"kallsyms_num_syms at {locations.NumSyms:x} is {count}: not a symbol count (the limit is {limits.MaxSymbols})");
        }

        int n = (int)count;
        var tokens = ReadTokens(memory, locations);
        var (names, types) = DecodeNames(memory, locations, tokens, n, out bool longLengths);
        var raw = new byte[locations.Offsets is null ? 8L * n : 4L * n];
        memory.ReadExactly(locations.Offsets ?? locations.Addresses!.Value, raw, locations.Offsets is null ? "kallsyms_addresses" : "kallsyms_offsets");
        ulong? relativeBase = locations.Offsets is not null && locations.RelativeBase is { } rb ? memory.ReadUInt64(rb, "kallsyms_relative_base") : null;
        var addresses = KallsymsAddresses.Decode(raw, n, locations.Offsets is null, relativeBase, Anchors(names, anchors), out var mode);
        var sizes = Sizes(addresses);
        var image = ImageRange(names, addresses);
        var table = new SymbolTable(names, addresses, sizes, types, image, relocation);
        return new KallsymsTable(table, mode, longLengths);
    }

    private static KallsymsNames ReadTokens(IMemoryReader memory, KallsymsLocations locations)
    {
        var index = new byte[512];
        memory.ReadExactly(locations.TokenIndex, index, "kallsyms_token_index");
        int last = 0;
        for (int t = 0; t < 256; t++)
        {
            last = Math.Max(last, BinaryPrimitives.ReadUInt16LittleEndian(index.AsSpan(2 * t)));
        }

        // The longest token is far below KSYM_NAME_LEN; read what can be read of the tail.
        var window = new MemoryWindow(memory, locations.TokenTable, last + 64, last + KallsymsNames.MaxNameLength + 1, "kallsyms_token_table");
        if (!window.Ensure(last + KallsymsNames.MaxNameLength + 1) && !window.Ensure(last + 1))
        {
            throw window.Failure(last, "the last token");
        }

        return KallsymsNames.FromTables(window.Data, index, locations.TokenTable);
    }

    /// <summary>
    /// Decodes with the two-byte lengths of v6.1+ unless the table says otherwise: when a length byte has
    /// bit 7 set the older one-byte format reads the table differently, and kallsyms_markers (the offset of
    /// every 256th name, right after the names, 8-byte aligned) tells which one the kernel wrote.
    /// </summary>
    private static (string[] Names, char[] Types) DecodeNames(IMemoryReader memory, KallsymsLocations locations, KallsymsNames tokens, int count, out bool longLengths)
    {
        int cap = (int)Math.Min(Array.MaxLength, (long)count * (2 + 0x3fff));
        var window = new MemoryWindow(memory, locations.Names, NamesEstimate(locations, count), cap, "kallsyms_names");
        var layout = KallsymsNames.Scan(window, count, longLengths: true, out string? problem);
        longLengths = true;
        if (layout is null || layout.SawLongLength)
        {
            var old = KallsymsNames.Scan(window, count, longLengths: false, out string? oldProblem);
            bool modernFits = layout is not null && MarkersMatch(memory, locations.Names, layout);
            bool oldFits = old is not null && MarkersMatch(memory, locations.Names, old);
            if (old is not null && (layout is null || (oldFits && !modernFits)))
            {
                (layout, longLengths) = (old, false);
            }

            problem ??= oldProblem;
        }

        if (layout is null)
        {
            throw window.StopReason != ReadStatus.Ok
                ? window.Failure(window.Data.Length, problem ?? "a name")
                : new KdxException($"kallsyms_names at {locations.Names:x}: {problem}");
        }

        var names = new string[count];
        var types = new char[count];
        if (!tokens.Decode(window.Data[..layout.End], count, longLengths, names, types, out problem))
        {
            throw new KdxException($"kallsyms_names at {locations.Names:x}: {problem}");
        }

        return (names, types);
    }

    /// <summary>The names end before the next kallsyms table above them: read up to it in one go.</summary>
    private static int NamesEstimate(KallsymsLocations l, int count)
    {
        ulong[] others = [l.NumSyms, l.TokenTable, l.TokenIndex, l.Offsets ?? 0, l.RelativeBase ?? 0, l.Addresses ?? 0];
        ulong next = others.Where(a => a > l.Names).DefaultIfEmpty(0UL).Min();
        ulong span = next == 0 ? 0 : next - l.Names;
        return span is > 0 and < 256UL << 20 ? (int)span : count * 12;
    }

    private static bool MarkersMatch(IMemoryReader memory, ulong names, KallsymsNames.Layout decoded)
    {
        int check = Math.Min(decoded.Markers.Length, 8);
        ulong at = (names + (ulong)decoded.End + 7) & ~7UL;
        var buffer = new byte[check * 8];
        if (memory.Read(at, buffer, out _) != ReadStatus.Ok)
        {
            return false;
        }

        bool asU32 = true, asU64 = true;
        for (int i = 0; i < check; i++)
        {
            asU32 &= BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(4 * i)) == (uint)decoded.Markers[i];
            asU64 &= BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(8 * i)) == (ulong)decoded.Markers[i];
        }

        return asU32 || asU64;
    }

    private static List<(int Index, string Name, ulong Address)> Anchors(string[] names, Func<string, ulong?>? known)
    {
        var anchors = new List<(int, string, ulong)>();
        if (known is null)
        {
            return anchors;
        }

        var wanted = KallsymsAddresses.AnchorNames.Where(a => known(a) is not null).ToHashSet(StringComparer.Ordinal);
        var found = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < names.Length && wanted.Count > 0; i++)
        {
            if (wanted.Contains(names[i]) && !found.TryAdd(names[i], i))
            {
                found[names[i]] = -1; // a name given twice cannot anchor anything
            }
        }

        foreach (var (name, index) in found)
        {
            if (index >= 0)
            {
                anchors.Add((index, name, known(name)!.Value));
            }
        }

        return anchors;
    }

    /// <summary>
    /// kallsyms has no sizes: as crash and gdb do, a symbol runs to the next higher address. The last symbol,
    /// and the last per-CPU offset before the kernel's addresses, get 0 (unknown).
    /// </summary>
    private static ulong[] Sizes(ulong[] addresses)
    {
        var sizes = new ulong[addresses.Length];
        ulong? above = null;
        for (int end = addresses.Length; end > 0;)
        {
            int start = end - 1;
            ulong at = addresses[start];
            while (start > 0 && addresses[start - 1] == at)
            {
                start--;
            }

            // Per-CPU offsets (absolute, small) and kernel addresses (top half) are different spaces.
            ulong size = above is { } next && (long)at < 0 == (long)next < 0 ? next - at : 0;
            sizes.AsSpan(start, end - start).Fill(size);
            above = at;
            end = start;
        }

        return sizes;
    }

    /// <summary>From _text to _end, as a System.map gives it; null without them.</summary>
    private static KernelImageRange? ImageRange(string[] names, ulong[] addresses)
    {
        ulong? text = null, end = null;
        for (int i = 0; i < names.Length && (text is null || end is null); i++)
        {
            if (names[i] == "_text")
            {
                text ??= addresses[i];
            }
            else if (names[i] == "_end")
            {
                end ??= addresses[i];
            }
        }

        return text is { } s && end is { } e && e >= s ? new KernelImageRange(s, e) : null;
    }
}
