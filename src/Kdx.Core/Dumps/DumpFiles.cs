using System.Buffers.Binary;
using System.Text;
using Kdx.Core.Dumps.Flattened;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.IO;

namespace Kdx.Core.Dumps;

/// <summary>What a file given on the command line is, told by its content.</summary>
public enum FileKind
{
    /// <summary>Not something Kdx reads.</summary>
    Unknown,

    /// <summary>An ELF core file (kdump /proc/vmcore, makedumpfile -E, QEMU ELF).</summary>
    ElfCore,

    /// <summary>A compressed kdump ("KDUMP   ") or the older diskdump ("DISKDUMP").</summary>
    Kdump,

    /// <summary>makedumpfile's flattened stream format.</summary>
    Flattened,

    /// <summary>An ELF executable: a vmlinux.</summary>
    Vmlinux,

    /// <summary>An ELF relocatable object: a kernel module (.ko).</summary>
    KernelModule,

    /// <summary>A System.map text file.</summary>
    SystemMap,
}

/// <summary>Opens dumps by content, not by file name.</summary>
public static class DumpFiles
{
    /// <summary>The signature at the start of a makedumpfile flattened stream.</summary>
    public const string FlattenedSignature = "makedumpfile";

    /// <summary>Tells what a file is from its first bytes. Throws <see cref="KdxException"/> when it cannot be read.</summary>
    public static FileKind Identify(string path)
    {
        using var f = MappedFile.Open(path);
        return Identify(f);
    }

    /// <summary>Tells what a byte source is from its first bytes.</summary>
    public static FileKind Identify(IByteSource source)
    {
        Span<byte> head = stackalloc byte[64];
        int n = source.Read(0, head);
        head = head[..n];
        if (n >= 18 && head[0] == 0x7f && head[1] == (byte)'E' && head[2] == (byte)'L' && head[3] == (byte)'F')
        {
            // e_type: 1 REL, 2 EXEC, 3 DYN, 4 CORE (little-endian ELF only; x86_64 is all Kdx reads).
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(head[16..]);
            return type switch
            {
                4 => FileKind.ElfCore,
                1 => FileKind.KernelModule,
                2 or 3 => FileKind.Vmlinux,
                _ => FileKind.Unknown,
            };
        }

        if (n >= 8 && (head[..8].SequenceEqual("KDUMP   "u8) || head[..8].SequenceEqual("DISKDUMP"u8)))
        {
            return FileKind.Kdump;
        }

        if (n >= 12 && head[..12].SequenceEqual(Encoding.ASCII.GetBytes(FlattenedSignature)))
        {
            return FileKind.Flattened;
        }

        if (LooksLikeSystemMap(head))
        {
            return FileKind.SystemMap;
        }

        return FileKind.Unknown;
    }

    /// <summary>
    /// Opens a dump file by its content. Throws <see cref="KdxException"/> (one line naming the file and
    /// the reason) when the file cannot be opened or is not a dump Kdx can read.
    /// </summary>
    public static DumpFile Open(string path, DumpOpenOptions? options = null) => Open([path], options);

    /// <summary>
    /// Opens a dump made of one file, or a split dump set (makedumpfile --split) made of several.
    /// </summary>
    public static DumpFile Open(IReadOnlyList<string> paths, DumpOpenOptions? options = null)
    {
        options ??= DumpOpenOptions.Default;
        if (paths.Count == 0)
        {
            throw new ArgumentException("no dump file given", nameof(paths));
        }

        var sources = new List<IByteSource>();
        try
        {
            foreach (var path in paths)
            {
                sources.Add(MappedFile.Open(path));
            }

            var dump = Open(sources, options);
            sources.Clear(); // the dump owns them now
            return dump;
        }
        finally
        {
            foreach (var s in sources)
            {
                s.Dispose();
            }
        }
    }

    /// <summary>
    /// Opens a dump from byte sources (the dump takes ownership of them on success).
    /// </summary>
    public static DumpFile Open(IReadOnlyList<IByteSource> sources, DumpOpenOptions options)
    {
        var kinds = sources.Select(Identify).ToList();
        var first = sources[0];
        if (sources.Count == 1)
        {
            return kinds[0] switch
            {
                FileKind.ElfCore => Elf.ElfCoreDump.Open(first, options),
                FileKind.Kdump => KdumpCompressedDump.Open(first, options),
                FileKind.Flattened => OpenFlattened(first, options),
                _ => throw NotADump(first, kinds[0]),
            };
        }

        // A makedumpfile --split set: compressed kdump files, each possibly flattened.
        var parts = new List<IByteSource>(sources.Count);
        for (int i = 0; i < sources.Count; i++)
        {
            var part = kinds[i] == FileKind.Flattened ? FlattenedSource.Open(sources[i], options.Limits) : sources[i];
            parts.Add(part);
            if (Identify(part) != FileKind.Kdump)
            {
                throw new DumpFormatException(sources[i].Name, "only compressed kdump files (makedumpfile --split) can form a split dump set");
            }
        }

        return KdumpCompressedDump.OpenSplit(parts, options);
    }

    // A flattened stream is reassembled virtually, then opened by what it contains.
    private static DumpFile OpenFlattened(IByteSource stream, DumpOpenOptions options)
    {
        var file = FlattenedSource.Open(stream, options.Limits);
        return Identify(file) switch
        {
            FileKind.Kdump => KdumpCompressedDump.Open(file, options),
            FileKind.ElfCore => Open([file], options),
            FileKind.Flattened => throw new DumpFormatException(stream.Name, "a flattened file that holds another flattened file"),
            var kind => throw new DumpFormatException(stream.Name, $"the flattened file holds no dump Kdx can read ({(kind == FileKind.Unknown ? "unknown content" : kind.ToString())})"),
        };
    }

    private static DumpFormatException NotADump(IByteSource source, FileKind kind) => kind switch
    {
        FileKind.Vmlinux => new DumpFormatException(source.Name, "is a kernel image (vmlinux), not a dump"),
        FileKind.KernelModule => new DumpFormatException(source.Name, "is a kernel module, not a dump"),
        FileKind.SystemMap => new DumpFormatException(source.Name, "is a System.map, not a dump"),
        _ when source.Length == 0 => new DumpFormatException(source.Name, "is empty"),
        _ => new DumpFormatException(source.Name, "not a crash dump: unknown format (expected an ELF core, a compressed kdump or a makedumpfile flattened file)"),
    };

    private static bool LooksLikeSystemMap(ReadOnlySpan<byte> head)
    {
        // "ffffffff81000000 T _stext": 16 hex digits, a space, a type letter, a space.
        if (head.Length < 20)
        {
            return false;
        }

        for (int i = 0; i < 16; i++)
        {
            if (!char.IsAsciiHexDigit((char)head[i]))
            {
                return false;
            }
        }

        return head[16] == (byte)' ' && char.IsAsciiLetter((char)head[17]) && head[18] == (byte)' ';
    }
}
