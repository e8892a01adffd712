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
    /// image range runs from _text (or _stext) to the highest symbol of the kernel image mapping (see
    /// <see cref="ModulesStart"/>): .init.scratch lies past _end but moves with the image. Throws
    /// <see cref="DumpFormatException"/> naming the line for a malformed line.
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
        ReadOnlySpan<byte> text = bytes;
        int lineNumber = 0;
        while (!text.IsEmpty)
        {
            lineNumber++;
            int eol = text.IndexOf((byte)'\n');
            var line = eol >= 0 ? text[..eol] : text;
            text = eol >= 0 ? text[(eol + 1)..] : [];
            line = line.TrimEnd((byte)'\r').Trim((byte)' ');
            if (line.IsEmpty)
            {
                continue;
            }

            if (!TryParseMapLine(line, out ulong address, out char type, out string name))
            {
                string shown = System.Text.Encoding.Latin1.GetString(line[..Math.Min(line.Length, 120)]);
                throw new DumpFormatException(source.Name, $"line {lineNumber} is not a System.map line (\"ADDRESS TYPE NAME\"): \"{shown}\"");
            }

            names.Add(name);
            addresses.Add(address);
            types.Add(type);
        }

        var image = MapImage(names, addresses);
        return new SymbolTable(names.ToArray(), addresses.ToArray(), new ulong[names.Count], types.ToArray(), image);
    }

    /// <summary>
    /// The x86_64 module area starts where the 1 GiB kernel image mapping ends: MODULES_VADDR =
    /// __START_KERNEL_map + KERNEL_IMAGE_SIZE (arch/x86/include/asm/pgtable_64_types.h, KASLR kernels).
    /// </summary>
    public const ulong ModulesStart = 0xffffffffc0000000;

    private static bool TryParseMapLine(ReadOnlySpan<byte> line, out ulong address, out char type, out string name)
    {
        address = 0;
        type = '\0';
        name = string.Empty;
        Span<Range> fields = stackalloc Range[5];
        int count = SplitFields(line, fields);
        if (count is < 3 or > 4)
        {
            return false;
        }

        var typeField = line[fields[1]];
        if (typeField.Length != 1 || !(char.IsAsciiLetter((char)typeField[0]) || typeField[0] == (byte)'?'))
        {
            return false;
        }

        if (!ulong.TryParse(line[fields[0]], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out address))
        {
            return false;
        }

        type = (char)typeField[0];
        name = System.Text.Encoding.Latin1.GetString(line[fields[2]]);
        return true;
    }

    /// <summary>Splits on spaces and tabs; returns the number of fields (at most fields.Length; one more means "too many").</summary>
    private static int SplitFields(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        int count = 0, i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && line[i] is (byte)' ' or (byte)'\t')
            {
                i++;
            }

            if (i >= line.Length)
            {
                break;
            }

            int start = i;
            while (i < line.Length && line[i] is not ((byte)' ' or (byte)'\t'))
            {
                i++;
            }

            if (count == fields.Length)
            {
                return count + 1;
            }

            fields[count++] = new Range(start, i);
        }

        return count;
    }

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
        ulong? text = null, stext = null;
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] == "_text")
            {
                text ??= addresses[i];
            }
            else if (names[i] == "_stext")
            {
                stext ??= addresses[i];
            }
        }

        if ((text ?? stext) is not { } start || start >= ModulesStart)
        {
            return null;
        }

        ulong end = start;
        foreach (ulong a in addresses)
        {
            if (a > end && a < ModulesStart)
            {
                end = a;
            }
        }

        return new KernelImageRange(start, end);
    }
}
