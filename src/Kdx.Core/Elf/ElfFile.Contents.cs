using System.Buffers.Binary;
using System.IO.Compression;
using Kdx.Core.Dumps;
using Kdx.Core.IO;

namespace Kdx.Core.Elf;

/// <summary>Section contents (with SHF_COMPRESSED sections decompressed) and notes.</summary>
public sealed partial class ElfFile
{
    /// <summary>
    /// A copy-free view of an uncompressed section's bytes, valid while the file is open.
    /// False for compressed or SHT_NOBITS sections, or when the source is not memory-mapped.
    /// Throws when the section lies outside the file.
    /// </summary>
    public bool TryGetSectionSpan(ElfSection section, out ReadOnlySpan<byte> span)
    {
        span = default;
        if (!section.HasContents || section.IsCompressed || Source is not IMappedByteSource mapped)
        {
            return false;
        }

        long at = SectionFileOffset(section);
        if (section.Size > int.MaxValue)
        {
            return false;
        }

        return mapped.TryGetSpan(at, (int)section.Size, out span);
    }

    /// <summary>
    /// The section's bytes in a new array: decompressed for SHF_COMPRESSED sections (ELFCOMPRESS_ZLIB,
    /// ELFCOMPRESS_ZSTD), empty for SHT_NOBITS. Throws <see cref="DumpFormatException"/> for a section outside
    /// the file, above <see cref="ParseLimits.MaxSectionBytes"/>, or whose compressed data is corrupt.
    /// </summary>
    public byte[] ReadSectionBytes(ElfSection section)
    {
        if (!section.HasContents)
        {
            return [];
        }

        string what = Describe(section);
        var stored = ReadRange(Source, section.Offset, section.Size, Limits, what);
        return section.IsCompressed ? Decompress(stored, section) : stored;
    }

    /// <summary>
    /// The section's bytes as a byte source (a window onto the file, or the decompressed bytes), for
    /// readers that page through large sections such as DWARF.
    /// </summary>
    public IByteSource OpenSection(ElfSection section)
    {
        if (!section.HasContents)
        {
            return new MemoryByteSource(Name, ReadOnlyMemory<byte>.Empty);
        }

        if (section.IsCompressed)
        {
            return new MemoryByteSource(Name, ReadSectionBytes(section));
        }

        long at = SectionFileOffset(section);
        return new SubSource(Source, at, (long)section.Size);
    }

    /// <summary>The notes of a PT_NOTE segment.</summary>
    public List<ElfNote> ReadNotes(ElfProgramHeader segment)
    {
        var notes = new List<ElfNote>();
        ReadNotes(segment.Offset, segment.FileSize, $"PT_NOTE segment (program header {segment.Index})", notes);
        return notes;
    }

    /// <summary>The notes of an SHT_NOTE section (e.g. a vmlinux's .notes, which holds the build id).</summary>
    public List<ElfNote> ReadNotes(ElfSection section)
    {
        var notes = new List<ElfNote>();
        if (section.HasContents)
        {
            ReadNotes(section.Offset, section.Size, Describe(section), notes);
        }

        return notes;
    }

    /// <summary>
    /// The notes of every PT_NOTE segment, in file order. Their total size is checked against
    /// <see cref="ParseLimits.MaxNoteBytes"/>.
    /// </summary>
    public List<ElfNote> ReadSegmentNotes()
    {
        var notes = new List<ElfNote>();
        ulong total = 0;
        foreach (var ph in ProgramHeaders)
        {
            if (!ph.IsNote)
            {
                continue;
            }

            total += Math.Min(ph.FileSize, (ulong)long.MaxValue);
            if (total > (ulong)Limits.MaxNoteBytes)
            {
                throw new DumpFormatException(Name, (long)Math.Min(ph.Offset, long.MaxValue), $"the PT_NOTE segments hold more than the limit of {Limits.MaxNoteBytes} bytes of notes (program header {ph.Index}: p_filesz {ph.FileSize})");
            }

            ReadNotes(ph.Offset, ph.FileSize, $"PT_NOTE segment (program header {ph.Index})", notes);
        }

        return notes;
    }

    private void ReadNotes(ulong offset, ulong size, string what, List<ElfNote> into)
    {
        if (size > (ulong)Limits.MaxNoteBytes)
        {
            throw new DumpFormatException(Name, (long)Math.Min(offset, long.MaxValue), $"{what} is {size} bytes, more than the limit of {Limits.MaxNoteBytes} bytes of notes");
        }

        var block = ReadRange(Source, offset, size, Limits, what);
        ElfNotes.Parse(block, Name, (long)offset, Limits, into);
    }

    private long SectionFileOffset(ElfSection section) => CheckedOffset(Source, section.Offset, section.Size, Describe(section));

    private static string Describe(ElfSection section) => $"section [{section.Index}] {section.Name}";

    private byte[] Decompress(byte[] stored, ElfSection section)
    {
        long at = (long)section.Offset;
        if (stored.Length < ElfConstants.CompressionHeaderSize)
        {
            throw new DumpFormatException(Name, at, $"{Describe(section)} is compressed but holds only {stored.Length} bytes, less than its Elf64_Chdr");
        }

        uint type = BinaryPrimitives.ReadUInt32LittleEndian(stored);
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(stored.AsSpan(8));
        if (size > (ulong)Math.Min(Limits.MaxSectionBytes, Array.MaxLength))
        {
            throw new DumpFormatException(Name, at, $"{Describe(section)} decompresses to {size} bytes, more than the limit of {Limits.MaxSectionBytes}");
        }

        var data = stored.AsSpan(ElfConstants.CompressionHeaderSize);
        var result = new byte[size];
        int produced = type switch
        {
            ElfConstants.ElfCompressZlib => InflateZlib(stored, result, section),
            ElfConstants.ElfCompressZstd => DecompressZstd(data, result, section),
            _ => throw new DumpFormatException(Name, at, $"{Describe(section)} uses compression type {type}, which is not supported (only ELFCOMPRESS_ZLIB 1 and ELFCOMPRESS_ZSTD 2)"),
        };

        if ((ulong)produced != size)
        {
            throw new DumpFormatException(Name, at, $"{Describe(section)} decompresses to {produced} bytes, but its Elf64_Chdr says {size}");
        }

        return result;
    }

    private int InflateZlib(byte[] stored, byte[] result, ElfSection section)
    {
        try
        {
            using var input = new MemoryStream(stored, ElfConstants.CompressionHeaderSize, stored.Length - ElfConstants.CompressionHeaderSize, writable: false);
            using var z = new ZLibStream(input, CompressionMode.Decompress);
            int total = 0;
            while (total < result.Length)
            {
                int n = z.Read(result, total, result.Length - total);
                if (n == 0)
                {
                    return total;
                }

                total += n;
            }

            // One more byte means the stream is longer than ch_size says.
            Span<byte> extra = stackalloc byte[1];
            return z.Read(extra) == 0 ? total : throw TooLong(section, result.Length);
        }
        catch (InvalidDataException e)
        {
            throw new DumpFormatException(Name, (long)section.Offset, $"{Describe(section)}: corrupt zlib data ({e.Message})");
        }
    }

    private DumpFormatException TooLong(ElfSection section, int size) =>
        new(Name, (long)section.Offset, $"{Describe(section)} decompresses to more than the {size} bytes its Elf64_Chdr says");

    private int DecompressZstd(ReadOnlySpan<byte> data, byte[] result, ElfSection section)
    {
        try
        {
            using var z = new ZstdSharp.Decompressor();
            return z.TryUnwrap(data, result, out int written) ? written : throw TooLong(section, result.Length);
        }
        catch (ZstdSharp.ZstdException e)
        {
            throw new DumpFormatException(Name, (long)section.Offset, $"{Describe(section)}: corrupt zstd data ({e.Message})");
        }
    }
}
