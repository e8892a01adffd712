using System.Buffers.Binary;
using Kdx.Core.Dumps;
using Kdx.Core.IO;

namespace Kdx.Core.Elf;

/// <summary>
/// The one ELF reader of Kdx, for core dumps, vmlinux files and kernel modules: little-endian ELF64
/// only (x86_64). Opening reads the file header, the program headers and the section headers (with
/// their names); section contents, notes and symbols are read on demand. Every count, offset and
/// size is checked against <see cref="ParseLimits"/> and the file length before use, and a bad one
/// gives a <see cref="DumpFormatException"/> naming the file, the offset and the problem.
/// </summary>
public sealed partial class ElfFile : IDisposable
{
    private readonly bool _ownsSource;
    private Dictionary<string, ElfSection>? _sectionsByName;

    private ElfFile(IByteSource source, ParseLimits limits, bool ownsSource, ElfHeader header, ElfProgramHeader[] programHeaders, ElfSection[] sections)
    {
        Source = source;
        Limits = limits;
        _ownsSource = ownsSource;
        Header = header;
        ProgramHeaders = programHeaders;
        Sections = sections;
    }

    /// <summary>The bytes of the file.</summary>
    public IByteSource Source { get; }

    /// <summary>The file name used in messages.</summary>
    public string Name => Source.Name;

    /// <summary>The limits the reader checks.</summary>
    public ParseLimits Limits { get; }

    /// <summary>The file header.</summary>
    public ElfHeader Header { get; }

    /// <summary>The program headers in file order.</summary>
    public IReadOnlyList<ElfProgramHeader> ProgramHeaders { get; }

    /// <summary>The section headers in file order (section 0 included).</summary>
    public IReadOnlyList<ElfSection> Sections { get; }

    /// <summary>Opens and maps a file and reads its headers; the returned reader owns the file.</summary>
    public static ElfFile Open(string path, ParseLimits? limits = null)
    {
        var file = MappedFile.Open(path);
        try
        {
            return Read(file, limits, ownsSource: true);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads the headers of an ELF file held by <paramref name="source"/>.</summary>
    /// <param name="source">The file's bytes.</param>
    /// <param name="limits">The limits to check (the defaults when null).</param>
    /// <param name="ownsSource">Whether disposing the reader disposes <paramref name="source"/>.</param>
    public static ElfFile Read(IByteSource source, ParseLimits? limits = null, bool ownsSource = false)
    {
        limits ??= ParseLimits.Default;
        var header = ReadFileHeader(source, out var section0);
        var programHeaders = ReadProgramHeaders(source, header, limits);
        CheckTablesDisjoint(source, header);
        var sections = ReadSectionHeaders(source, header, section0, limits);
        return new ElfFile(source, limits, ownsSource, header, programHeaders, sections);
    }

    /// <summary>The first section with this name, or null.</summary>
    public ElfSection? FindSection(string name)
    {
        if (_sectionsByName is null)
        {
            var map = new Dictionary<string, ElfSection>(StringComparer.Ordinal);
            foreach (var s in Sections)
            {
                map.TryAdd(s.Name, s);
            }

            _sectionsByName = map;
        }

        return _sectionsByName.TryGetValue(name, out var section) ? section : null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsSource)
        {
            Source.Dispose();
        }
    }

    private static ElfHeader ReadFileHeader(IByteSource source, out ElfSection? section0)
    {
        Span<byte> h = stackalloc byte[ElfConstants.HeaderSize];
        int n = source.Read(0, h);
        if (n < 4 || h[0] != 0x7f || h[1] != (byte)'E' || h[2] != (byte)'L' || h[3] != (byte)'F')
        {
            throw new DumpFormatException(source.Name, 0, n == 0 ? "not an ELF file (the file is empty)" : "not an ELF file (bad magic)");
        }

        if (n < ElfConstants.HeaderSize)
        {
            throw DumpFormatException.Truncated(source.Name, n, "the ELF header");
        }

        if (h[4] != ElfConstants.ElfClass64)
        {
            throw new DumpFormatException(source.Name, 4, $"ELF class {h[4]} is not supported (only 64-bit ELF, class 2)");
        }

        if (h[5] != ElfConstants.ElfData2Lsb)
        {
            throw new DumpFormatException(source.Name, 5, h[5] == 2 ? "big-endian ELF is not supported (only little-endian)" : $"ELF data encoding {h[5]} is not supported (only little-endian, 1)");
        }

        if (h[6] != ElfConstants.EvCurrent)
        {
            throw new DumpFormatException(source.Name, 6, $"ELF version {h[6]} is not supported (only 1)");
        }

        var header = new ElfHeader
        {
            Ident = h[..16].ToArray(),
            Type = U16(h, 16),
            Machine = U16(h, 18),
            Version = U32(h, 20),
            Entry = U64(h, 24),
            ProgramHeaderOffset = U64(h, 32),
            SectionHeaderOffset = U64(h, 40),
            Flags = U32(h, 48),
            HeaderSize = U16(h, 52),
            ProgramHeaderEntrySize = U16(h, 54),
            ProgramHeaderCountField = U16(h, 56),
            SectionHeaderEntrySize = U16(h, 58),
            SectionHeaderCountField = U16(h, 60),
            SectionNameIndexField = U16(h, 62),
        };

        // Extended numbering (gABI, elf(5)): counts that do not fit 16 bits live in section 0.
        section0 = null;
        if (header.SectionHeaderOffset != 0)
        {
            if (header.SectionHeaderEntrySize < ElfConstants.SectionHeaderSize)
            {
                throw new DumpFormatException(source.Name, 58, $"e_shentsize is {header.SectionHeaderEntrySize}, less than the {ElfConstants.SectionHeaderSize} bytes of a section header");
            }

            long at = CheckedOffset(source, header.SectionHeaderOffset, ElfConstants.SectionHeaderSize, "section header 0");
            Span<byte> s = stackalloc byte[ElfConstants.SectionHeaderSize];
            source.ReadExactly(at, s, "section header 0");
            section0 = ParseSection(s, 0, "");
        }

        int phnum = header.ProgramHeaderCountField;
        if (phnum == ElfConstants.PnXnum)
        {
            if (section0 is null)
            {
                throw new DumpFormatException(source.Name, 56, "e_phnum is PN_XNUM (0xffff) but there is no section 0 to hold the real count");
            }

            phnum = (int)Math.Min(section0.Info, int.MaxValue);
        }

        long shnum = header.SectionHeaderCountField;
        if (shnum == 0 && section0 is not null)
        {
            shnum = (long)Math.Min(section0.Size, int.MaxValue);
        }

        int shstrndx = header.SectionNameIndexField;
        if (shstrndx == ElfConstants.ShnXindex)
        {
            shstrndx = section0 is null ? 0 : (int)Math.Min(section0.Link, int.MaxValue);
        }

        return header with { ProgramHeaderCount = phnum, SectionHeaderCount = (int)shnum, SectionNameIndex = shstrndx };
    }

    private static ElfProgramHeader[] ReadProgramHeaders(IByteSource source, ElfHeader header, ParseLimits limits)
    {
        int count = header.ProgramHeaderCount;
        if (count == 0)
        {
            return [];
        }

        if (count > limits.MaxProgramHeaders)
        {
            throw new DumpFormatException(source.Name, 56, $"{count} program headers is more than the limit of {limits.MaxProgramHeaders}");
        }

        int entSize = header.ProgramHeaderEntrySize;
        if (entSize < ElfConstants.ProgramHeaderSize)
        {
            throw new DumpFormatException(source.Name, 54, $"e_phentsize is {entSize}, less than the {ElfConstants.ProgramHeaderSize} bytes of a program header");
        }

        long at = CheckTable(source, header.ProgramHeaderOffset, count, entSize, "program header table");
        var table = new byte[(long)count * entSize];
        source.ReadExactly(at, table, "the program header table");
        var result = new ElfProgramHeader[count];
        for (int i = 0; i < count; i++)
        {
            var p = table.AsSpan(i * entSize, ElfConstants.ProgramHeaderSize);
            result[i] = new ElfProgramHeader(i, U32(p, 0), U32(p, 4), U64(p, 8), U64(p, 16), U64(p, 24), U64(p, 32), U64(p, 40), U64(p, 48));
        }

        return result;
    }

    private static ElfSection[] ReadSectionHeaders(IByteSource source, ElfHeader header, ElfSection? section0, ParseLimits limits)
    {
        int count = header.SectionHeaderCount;
        if (count == 0 || section0 is null)
        {
            return [];
        }

        if (count > limits.MaxSectionHeaders)
        {
            throw new DumpFormatException(source.Name, 60, $"{count} section headers is more than the limit of {limits.MaxSectionHeaders}");
        }

        int entSize = header.SectionHeaderEntrySize;
        long at = CheckTable(source, header.SectionHeaderOffset, count, entSize, "section header table");
        var table = new byte[(long)count * entSize];
        source.ReadExactly(at, table, "the section header table");

        var raw = new ElfSection[count];
        for (int i = 0; i < count; i++)
        {
            raw[i] = ParseSection(table.AsSpan(i * entSize, ElfConstants.SectionHeaderSize), i, "");
        }

        int nameIndex = header.SectionNameIndex;
        if (nameIndex == 0)
        {
            return raw;
        }

        if (nameIndex >= count)
        {
            throw new DumpFormatException(source.Name, 62, $"e_shstrndx {nameIndex} is not a section (there are {count})");
        }

        // A name table outside the file (QEMU writes it at the very end, so a cut-short dump loses it)
        // leaves the sections nameless rather than failing: core files do not need section names.
        var names = raw[nameIndex];
        ulong length = (ulong)source.Length;
        bool inFile = names.Offset <= length && names.Size <= length - names.Offset;
        byte[] strtab = inFile ? ReadRange(source, names.Offset, names.Size, limits, $"the section name table (section {nameIndex})") : [];
        for (int i = 0; i < count; i++)
        {
            raw[i] = raw[i] with { Name = StringAt(strtab, raw[i].NameOffset) ?? "<corrupt>" };
        }

        return raw;
    }

    private static ElfSection ParseSection(ReadOnlySpan<byte> s, int index, string name) =>
        new(index, name, U32(s, 0), U32(s, 4), U64(s, 8), U64(s, 16), U64(s, 24), U64(s, 32), U32(s, 40), U32(s, 44), U64(s, 48), U64(s, 56));

    /// <summary>Rejects program and section header tables that overlap the file header or each other.</summary>
    private static void CheckTablesDisjoint(IByteSource source, ElfHeader header)
    {
        ulong phStart = header.ProgramHeaderOffset;
        ulong phEnd = SaturatingAdd(phStart, (ulong)header.ProgramHeaderCount * header.ProgramHeaderEntrySize);
        ulong shStart = header.SectionHeaderOffset;
        ulong shEnd = SaturatingAdd(shStart, (ulong)header.SectionHeaderCount * header.SectionHeaderEntrySize);
        bool hasPh = header.ProgramHeaderCount > 0;
        bool hasSh = header.SectionHeaderCount > 0 && shStart != 0;
        if (hasPh && phStart < ElfConstants.HeaderSize)
        {
            throw new DumpFormatException(source.Name, 32, $"the program header table at offset {phStart} overlaps the ELF header");
        }

        if (hasSh && shStart < ElfConstants.HeaderSize)
        {
            throw new DumpFormatException(source.Name, 40, $"the section header table at offset {shStart} overlaps the ELF header");
        }

        if (hasPh && hasSh && phStart < shEnd && shStart < phEnd)
        {
            throw new DumpFormatException(source.Name, (long)phStart, $"the program header table ({phStart}..{phEnd}) overlaps the section header table ({shStart}..{shEnd})");
        }
    }

    private static ulong SaturatingAdd(ulong a, ulong b) => a > ulong.MaxValue - b ? ulong.MaxValue : a + b;

    /// <summary>Checks that a table of <paramref name="count"/> entries at <paramref name="offset"/> lies inside the file.</summary>
    private static long CheckTable(IByteSource source, ulong offset, int count, int entrySize, string what)
    {
        ulong size = (ulong)count * (ulong)entrySize;
        return CheckedOffset(source, offset, size, what);
    }

    /// <summary>Checks that [offset, offset+size) lies inside the file and returns the offset as a long.</summary>
    private static long CheckedOffset(IByteSource source, ulong offset, ulong size, string what)
    {
        ulong length = (ulong)source.Length;
        if (offset > length || size > length - offset)
        {
            long at = offset > length ? source.Length : (long)offset;
            throw new DumpFormatException(source.Name, at, $"file truncated: {what} at offset {offset} needs {size} bytes but the file has {length}");
        }

        return (long)offset;
    }

    /// <summary>Reads [offset, offset+size) of the file into a new array after checking the limits.</summary>
    private static byte[] ReadRange(IByteSource source, ulong offset, ulong size, ParseLimits limits, string what)
    {
        if (size > (ulong)Math.Min(limits.MaxSectionBytes, Array.MaxLength))
        {
            throw new DumpFormatException(source.Name, (long)Math.Min(offset, long.MaxValue), $"{what} is {size} bytes, more than the limit of {limits.MaxSectionBytes}");
        }

        long at = CheckedOffset(source, offset, size, what);
        var bytes = new byte[size];
        source.ReadExactly(at, bytes, what);
        return bytes;
    }

    /// <summary>The NUL-terminated Latin-1 string at <paramref name="offset"/>, or null when the offset is outside the table.</summary>
    internal static string? StringAt(ReadOnlySpan<byte> table, uint offset)
    {
        if (offset >= (uint)table.Length)
        {
            return offset == 0 ? string.Empty : null;
        }

        var rest = table[(int)offset..];
        int nul = rest.IndexOf((byte)0);
        return System.Text.Encoding.Latin1.GetString(nul >= 0 ? rest[..nul] : rest);
    }

    private static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);

    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);

    private static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);
}
