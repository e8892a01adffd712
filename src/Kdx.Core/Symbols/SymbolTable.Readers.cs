using System.Globalization;
using Kdx.Core.Dumps;
using Kdx.Core.Elf;
using Kdx.Core.IO;

namespace Kdx.Core.Symbols;

/// <summary>Building a table from a vmlinux or a System.map.</summary>
public sealed partial class SymbolTable
{
    /// <summary>
    /// The symbols <c>nm</c> lists for an ELF file (its .symtab without entry 0, section and file
    /// symbols, and undefined symbols), with nm's letters, at their link-time addresses. For an
    /// executable (a vmlinux) the image range runs from .text to the end of the last allocated section.
    /// </summary>
    public static SymbolTable FromElf(ElfFile elf)
    {
        var raw = elf.ReadSymbols();
        var names = new List<string>(raw.Length);
        var addresses = new List<ulong>(raw.Length);
        var sizes = new List<ulong>(raw.Length);
        var types = new List<char>(raw.Length);
        foreach (var s in raw)
        {
            if (!NmSymbolClass.IsListed(s) || s.IsUndefined)
            {
                continue;
            }

            names.Add(s.Name);
            addresses.Add(s.Value);
            sizes.Add(s.Size);
            types.Add(NmSymbolClass.Of(s, elf.Sections));
        }

        var image = elf.Header.Type == ElfConstants.EtExec ? ImageOf(elf.Sections) : null;
        return new SymbolTable(names.ToArray(), addresses.ToArray(), sizes.ToArray(), types.ToArray(), image);
    }

    /// <summary>Reads a System.map file (see <see cref="FromSystemMap(IByteSource)"/>).</summary>
    public static SymbolTable FromSystemMap(string path)
    {
        using var file = MappedFile.Open(path);
        return FromSystemMap(file);
    }

    /// <summary>
    /// Parses System.map text: one "ADDRESS TYPE NAME" line per symbol (hexadecimal address, nm's
    /// letter); a fourth "[module]" column, as in /proc/kallsyms, is ignored. Sizes are unknown (0). The
    /// image range is _text (or _stext) to _end. Throws <see cref="DumpFormatException"/> naming the
    /// line for a malformed line.
    /// </summary>
    public static SymbolTable FromSystemMap(IByteSource source)
    {
        if (source.Length > int.MaxValue)
        {
            throw new DumpFormatException(source.Name, $"a System.map of {source.Length} bytes is too large");
        }

        var bytes = new byte[source.Length];
        source.ReadExactly(0, bytes, "the System.map");
        var names = new List<string>();
        var addresses = new List<ulong>();
        var types = new List<char>();
        var text = bytes.AsSpan();
        int lineNumber = 0;
        while (!text.IsEmpty)
        {
            lineNumber++;
            int eol = text.IndexOf((byte)'\n');
            var line = eol >= 0 ? text[..eol] : text;
            text = eol >= 0 ? text[(eol + 1)..] : [];
            ParseMapLine(source.Name, lineNumber, line.TrimEnd((byte)'\r'), names, addresses, types);
        }

        var image = MapImage(names, addresses);
        return new SymbolTable(names.ToArray(), addresses.ToArray(), new ulong[names.Count], types.ToArray(), image);
    }

    private static void ParseMapLine(string file, int lineNumber, ReadOnlySpan<byte> line, List<string> names, List<ulong> addresses, List<char> types)
    {
        if (line.Trim((byte)' ').IsEmpty)
        {
            return;
        }

        var text = System.Text.Encoding.Latin1.GetString(line);
        var fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 3 || fields.Length > 4
            || fields[1].Length != 1 || !char.IsAsciiLetter(fields[1][0]) && fields[1][0] != '?'
            || !ulong.TryParse(fields[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong address))
        {
            throw new DumpFormatException(file, $"line {lineNumber} is not a System.map line (\"ADDRESS TYPE NAME\"): \"{Shorten(text)}\"");
        }

        names.Add(fields[2]);
        addresses.Add(address);
        types.Add(fields[1][0]);
    }

    private static string Shorten(string s) => s.Length <= 120 ? s : s[..120] + "…";

    /// <summary>From the start of .text to the end of the last allocated section above it (crash symbols.c).</summary>
    private static KernelImageRange? ImageOf(IReadOnlyList<ElfSection> sections)
    {
        ulong start = 0;
        foreach (var s in sections)
        {
            if (s.Name == ".text" && s.IsAlloc)
            {
                start = s.Address;
                break;
            }
        }

        if (start == 0)
        {
            return null;
        }

        ulong end = start;
        foreach (var s in sections)
        {
            if (s.IsAlloc && s.Address >= start && s.Address + s.Size > end)
            {
                end = s.Address + s.Size;
            }
        }

        return new KernelImageRange(start, end);
    }

    private static KernelImageRange? MapImage(List<string> names, List<ulong> addresses)
    {
        ulong? text = null, stext = null, end = null;
        for (int i = 0; i < names.Count; i++)
        {
            switch (names[i])
            {
                case "_text":
                    text ??= addresses[i];
                    break;
                case "_stext":
                    stext ??= addresses[i];
                    break;
                case "_end":
                    end ??= addresses[i];
                    break;
            }
        }

        ulong? start = text ?? stext;
        return start is { } s && end is { } e && e >= s ? new KernelImageRange(s, e) : null;
    }
}
