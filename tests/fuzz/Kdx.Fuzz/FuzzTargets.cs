using Kdx.Core;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Compression;
using Kdx.Core.Debug.Btf;
using Kdx.Core.Debug.Dwarf;
using Kdx.Core.Debug.Kallsyms;
using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Flattened;
using Kdx.Core.Elf;
using Kdx.Core.IO;
using Kdx.Core.Memory;
using Kdx.Core.Symbols;
using Kdx.Core.Types;
using Kdx.Core.Unwind;

namespace Kdx.Fuzz;

/// <summary>
/// One fuzz target per parser. Each takes arbitrary bytes and must either succeed or throw a
/// <see cref="KdxException"/> (the parsers' documented error); anything else — an
/// IndexOutOfRangeException, an OutOfMemoryException, a hang — is a bug the fuzzer reports.
/// The same targets run in-process in the xunit suite over seeds and mutations.
/// </summary>
public static class FuzzTargets
{
    /// <summary>Limits small enough that a fuzzed count cannot make a target slow.</summary>
    public static ParseLimits Limits => new()
    {
        MaxProgramHeaders = 4096,
        MaxSectionHeaders = 4096,
        MaxNoteBytes = 1 << 20,
        MaxNotes = 1024,
        MaxPfn = 1UL << 24,
        MaxCpus = 1024,
        MaxFlattenedRecords = 1 << 16,
        MaxSymbols = 1 << 16,
        MaxBtfBytes = 1 << 20,
    };

    /// <summary>
    /// The target names. Kept free of any Kdx.Core access: under AFL, instrumented code must not run
    /// before SharpFuzz has set up its shared memory.
    /// </summary>
    public static IReadOnlyList<string> Names { get; } = ["dump", "notes", "vmcoreinfo", "elf", "systemmap", "lzo", "codec", "flattened", "pagetable", "btf", "kallsyms", "dwarf", "unwind"];

    /// <summary>Runs the target called <paramref name="name"/> on <paramref name="data"/>.</summary>
    public static void Run(string name, byte[] data)
    {
        switch (name)
        {
            case "dump":
                Dump(data);
                break;
            case "notes":
                Notes(data);
                break;
            case "vmcoreinfo":
                VmcoreInfoText(data);
                break;
            case "elf":
                Elf(data);
                break;
            case "systemmap":
                SystemMap(data);
                break;
            case "lzo":
                Lzo(data);
                break;
            case "codec":
                Codec(data);
                break;
            case "flattened":
                Flattened(data);
                break;
            case "pagetable":
                PageTable(data);
                break;
            case "btf":
                Btf(data);
                break;
            case "kallsyms":
                Kallsyms(data);
                break;
            case "dwarf":
                Dwarf(data);
                break;
            case "unwind":
                Unwind(data);
                break;
            default:
                throw new ArgumentException($"no fuzz target named {name}", nameof(name));
        }
    }

    /// <summary>Opens the bytes as a dump of any format, then reads pages, states and headers.</summary>
    public static void Dump(byte[] data)
    {
        try
        {
            var source = new MemoryByteSource("fuzz", data);
            using var dump = DumpFiles.Open([source], new DumpOpenOptions { Limits = Limits });
            _ = dump.VmcoreInfo;
            _ = dump.Cpus.Count;
            _ = dump.Describe();
            var page = new byte[dump.PageSize];
            int reads = 0;
            foreach (var range in dump.PhysicalRanges)
            {
                for (ulong a = range.Start; a < range.End && reads < 64; a += (ulong)dump.PageSize, reads++)
                {
                    _ = dump.Read(a, page, out _);
                    _ = dump.GetPageState(a / (ulong)dump.PageSize);
                }
            }
        }
        catch (KdxException)
        {
            // a clear error is the right answer to bad input
        }
    }

    /// <summary>Parses the bytes as an ELF note block and decodes its NT_PRSTATUS notes.</summary>
    public static void Notes(byte[] data)
    {
        try
        {
            var notes = new List<ElfNote>();
            ElfNotes.Parse(data, "fuzz", 0, Limits, notes);
            _ = PrStatus.FromNotes(notes);
            _ = ElfNotes.FindVmcoreInfo(notes);
        }
        catch (KdxException)
        {
        }
    }

    /// <summary>Parses the bytes as VMCOREINFO text and reads the common keys.</summary>
    public static void VmcoreInfoText(byte[] data)
    {
        var v = VmcoreInfo.Parse(System.Text.Encoding.Latin1.GetString(data));
        _ = v.KernelOffset;
        _ = v.CrashTime;
        _ = v.Number("phys_base");
        _ = v.PageSize;
    }

    /// <summary>Reads the bytes as an ELF file (a vmlinux or module): headers, sections, notes, symbols.</summary>
    public static void Elf(byte[] data)
    {
        try
        {
            using var elf = ElfFile.Read(new MemoryByteSource("fuzz", data), Limits);
            foreach (var section in elf.Sections.Take(64))
            {
                if (section.HasContents && section.Size < 1 << 20)
                {
                    _ = elf.ReadSectionBytes(section);
                }
            }

            _ = elf.ReadSegmentNotes();
            _ = SymbolTable.FromElf(elf);
        }
        catch (KdxException)
        {
        }
    }

    /// <summary>Reads the bytes as a System.map and looks a few addresses up.</summary>
    public static void SystemMap(byte[] data)
    {
        try
        {
            var table = SymbolTable.FromSystemMap(new MemoryByteSource("fuzz", data));
            _ = table.TryLookup(0xffffffff81000000, out _);
            _ = table.TryGetAddress("_stext", out _);
            _ = table.Relocate(0x1000000);
        }
        catch (KdxException)
        {
        }
    }

    /// <summary>Decompresses the bytes as one LZO1X page, and a large block; never throws.</summary>
    public static void Lzo(byte[] data)
    {
        _ = Lzo1x.Decompress(data, new byte[4096], out _);
        _ = Lzo1x.Decompress(data, new byte[1 << 16], out _);
    }

    /// <summary>The first byte picks a codec; the rest is a compressed page; never throws.</summary>
    public static void Codec(byte[] data)
    {
        if (data.Length == 0)
        {
            return;
        }

        using var codec = new PageCodec();
        var kind = (PageCompression)(1 + (data[0] % 4));
        _ = codec.TryDecompress(kind, data.AsSpan(1), new byte[4096], out _);
    }

    /// <summary>Reads the bytes as a makedumpfile flattened stream and reads from the reassembled file.</summary>
    public static void Flattened(byte[] data)
    {
        try
        {
            using var flat = FlattenedSource.Open(new MemoryByteSource("fuzz", data), Limits);
            var buffer = new byte[4096];
            for (long offset = 0; offset < Math.Min(flat.Length, 1L << 20); offset += 4093)
            {
                _ = flat.Read(offset, buffer);
            }
        }
        catch (KdxException)
        {
        }
    }

    /// <summary>
    /// The bytes are physical memory holding page tables (root at 0); walks and reads addresses taken
    /// from the data itself with 4- and 5-level paging.
    /// </summary>
    public static void PageTable(byte[] data)
    {
        var memory = new FuzzPhysicalMemory(data);
        foreach (int levels in (int[])[4, 5])
        {
            var walker = new PageTableWalker(memory, levels);
            for (int i = 0; i + 8 <= data.Length && i < 512; i += 8)
            {
                ulong va = BitConverter.ToUInt64(data, i);
                _ = walker.Walk(0, va);
                _ = walker.Translate(0, va, out _, out _);
            }
        }
    }

    /// <summary>
    /// Parses the bytes as BTF, and as split BTF over a small base, then builds every type, member,
    /// enumerator and parameter, spells each type, and looks every name up.
    /// </summary>
    public static void Btf(byte[] data)
    {
        try
        {
            Exercise(new BtfTypeSource(BtfData.Parse(data, "fuzz", null, Limits)));
        }
        catch (KdxException)
        {
        }

        try
        {
            var baseData = BtfData.Parse(BtfSeeds.SmallBase().Build(), "base", null, Limits);
            var baseSource = new BtfTypeSource(baseData);
            Exercise(new BtfTypeSource(BtfData.Parse(data, "fuzz split", baseData, Limits), baseSource));
        }
        catch (KdxException)
        {
        }
    }

    private static void Exercise(BtfTypeSource source)
    {
        var data = source.Data;
        for (int id = data.FirstId; id < data.EndId; id++)
        {
            if (data.KindOf(id) is BtfKind.Function or BtfKind.Variable or BtfKind.DataSection or BtfKind.DeclTag)
            {
                continue;
            }

            var t = source.Resolve(id);
            _ = t.ToString();
            _ = source.SizeOf(id);
            _ = t.Type.Target;
            foreach (var m in t.Type.Members)
            {
                _ = TypeNames.Declaration(m.Type, m.Name ?? "anonymous");
            }

            _ = t.Type.Enumerators.Count;
            _ = t.Type.Parameters.Count;
            _ = t.Type.TryFindMember("x", out _, out _);
        }

        foreach (var kind in (TypeKind[])[TypeKind.Struct, TypeKind.Union, TypeKind.Enum, TypeKind.Typedef, TypeKind.Int, TypeKind.Function])
        {
            foreach (var name in source.TypeNames(kind).Take(256))
            {
                _ = kind == TypeKind.Function ? source.FindFunctionType(name) : source.FindType(name, kind);
            }
        }

        foreach (var v in source.Variables.Take(256))
        {
            _ = v.Type.ToString();
        }
    }

    /// <summary>
    /// The bytes are kernel memory at <see cref="KallsymsSeeds.Base"/>, starting with seven u64 offsets of the
    /// tables (num_syms, names, token_table, token_index, offsets, relative_base, addresses; 0 = none); reads kallsyms.
    /// </summary>
    public static void Kallsyms(byte[] data)
    {
        if (data.Length < 56)
        {
            return;
        }

        ulong At(int i)
        {
            ulong offset = BitConverter.ToUInt64(data, 8 * i);
            return offset == 0 ? 0 : KallsymsSeeds.Base + offset;
        }

        ulong? Optional(int i) => At(i) is var a and not 0 ? a : null;
        var locations = new KallsymsLocations(At(0), At(1), At(2), At(3), Optional(4), Optional(5), Optional(6));
        if (locations.Offsets is null && locations.Addresses is null)
        {
            return;
        }

        try
        {
            var table = KallsymsReader.Read(new FuzzPhysicalMemory(data, KallsymsSeeds.Base), locations, name => name == "_stext" ? KallsymsSeeds.Base + 0x1000 : null, 0, Limits);
            _ = table.Symbols.TryLookup(KallsymsSeeds.Base + 0x1234, out _);
            _ = table.Symbols.TryGetAddress("_stext", out _);
        }
        catch (KdxException)
        {
        }
    }

    /// <summary>The DWARF section names a "dwarf" input may hold, by their one-byte number.</summary>
    public static IReadOnlyList<string> DwarfSectionNames { get; } =
    [
        ".debug_info", ".debug_abbrev", ".debug_str", ".debug_line", ".debug_line_str", ".debug_str_offsets", ".debug_addr",
        ".debug_rnglists", ".debug_ranges", ".debug_loclists", ".debug_loc", ".debug_aranges", ".debug_types",
    ];

    /// <summary>Packs DWARF sections into a "dwarf" input: per section a name number, a 4-byte length and the bytes.</summary>
    public static byte[] PackDwarf(IReadOnlyDictionary<string, byte[]> sections)
    {
        var output = new MemoryStream();
        foreach (var (name, bytes) in sections)
        {
            int id = ((List<string>)[.. DwarfSectionNames]).IndexOf(name);
            if (id < 0)
            {
                continue;
            }

            output.WriteByte((byte)id);
            output.Write(BitConverter.GetBytes(bytes.Length));
            output.Write(bytes);
        }

        return output.ToArray();
    }

    /// <summary>
    /// Unpacks DWARF sections (see <see cref="PackDwarf"/>), then indexes them, builds every struct, union,
    /// enum and typedef (their members, enumerators and spellings), the variables' and functions' types,
    /// and looks up lines at addresses taken from the data.
    /// </summary>
    public static void Dwarf(byte[] data)
    {
        var sections = new Dictionary<string, byte[]>();
        int at = 0;
        while (at + 5 <= data.Length)
        {
            int id = data[at] % DwarfSectionNames.Count;
            int length = (int)Math.Min(BitConverter.ToUInt32(data, at + 1), (uint)(data.Length - at - 5));
            sections[DwarfSectionNames[id]] = data[(at + 5)..(at + 5 + length)];
            at += 5 + length;
        }

        using var src = DwarfTypeSource.FromSections("fuzz", sections, new DwarfOptions { MaxThreads = 1 });
        try
        {
            foreach (var kind in (TypeKind[])[TypeKind.Struct, TypeKind.Union, TypeKind.Enum, TypeKind.Typedef, TypeKind.Int])
            {
                foreach (var name in src.TypeNames(kind).Take(64))
                {
                    Walk(src.FindType(name, kind));
                }
            }

            foreach (var name in src.VariableNames().Take(64))
            {
                _ = src.FindVariableType(name)?.ToString();
                _ = src.TryGetVariableAddress(name, out _);
                _ = src.FindVariableLocation(name);
            }

            foreach (var name in src.FunctionNames().Take(64))
            {
                _ = src.FindFunctionType(name)?.ToString();
                _ = src.TryGetFunctionAddress(name, out ulong address);
                _ = src.TryFindLine(address, out _);
                _ = src.FindFunctionLocation(name);
            }

            for (int i = 0; i + 8 <= data.Length && i < 256; i += 8)
            {
                _ = src.TryFindLine(BitConverter.ToUInt64(data, i), out _);
            }
        }
        catch (KdxException)
        {
            // a clear error is the right answer to bad input
        }
    }

    private static void Walk(KType? type)
    {
        if (type is null)
        {
            return;
        }

        _ = type.ToString();
        foreach (var m in type.Members)
        {
            _ = TypeNames.Declaration(m.Type, m.Name ?? string.Empty);
        }

        _ = type.Enumerators.Count;
        _ = type.Unaliased().Size;
    }


    private sealed class FuzzPhysicalMemory(byte[] data, ulong start = 0) : Kdx.Core.Memory.IMemoryReader
    {
        public Kdx.Core.Memory.AddressSpace Space => Kdx.Core.Memory.AddressSpace.Physical;

        public Kdx.Core.Memory.ReadStatus Read(ulong address, Span<byte> destination, out int bytesRead)
        {
            address -= start;
            if (address >= (ulong)data.Length)
            {
                bytesRead = 0;
                return Kdx.Core.Memory.ReadStatus.NotInDump;
            }

            bytesRead = (int)Math.Min((ulong)destination.Length, (ulong)data.Length - address);
            data.AsSpan((int)address, bytesRead).CopyTo(destination);
            return bytesRead == destination.Length ? Kdx.Core.Memory.ReadStatus.Ok : Kdx.Core.Memory.ReadStatus.NotInDump;
        }

        public string? ExplainFailure(ulong address, Kdx.Core.Memory.ReadStatus status) => null;
    }

    /// <summary>
    /// The bytes as a .debug_frame (rules looked up at addresses taken from the data), and as an ORC table plus the
    /// stack memory an unwind of it reads (both layouts, from every 8-byte word as a start).
    /// </summary>
    public static void Unwind(byte[] data)
    {
        var cfi = new DwarfCfi(data);
        for (int i = 0; i + 8 <= data.Length && i < 512; i += 8)
        {
            _ = cfi.TryFind(BitConverter.ToUInt64(data, i), out _);
        }

        int count = data.Length / 10;
        var ips = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            ips[i] = BitConverter.ToUInt32(data, i * 4);
        }

        var memory = new FlatMemory(data);
        foreach (var layout in new[] { OrcLayout.WithEndBit, OrcLayout.WithSignalBit })
        {
            var table = new OrcTable(ips, data[(count * 4)..], layout);
            var unwinder = new OrcUnwinder(memory, _ => table, a => (0, (ulong)data.Length), pc => cfi.TryFind(pc, out var row) ? row : null);
            for (int i = 0; i + 24 <= data.Length && i < 256; i += 8)
            {
                _ = unwinder.Unwind(BitConverter.ToUInt32(data, i), BitConverter.ToUInt64(data, i + 8) % (ulong)data.Length, BitConverter.ToUInt64(data, i + 16), maxFrames: 64);
            }
        }
    }

    /// <summary>Memory that is the bytes themselves, from address 0.</summary>
    private sealed class FlatMemory(byte[] data) : IMemoryReader
    {
        public AddressSpace Space => AddressSpace.KernelVirtual;

        public ReadStatus Read(ulong address, Span<byte> destination, out int bytesRead)
        {
            bytesRead = 0;
            if (address >= (ulong)data.Length)
            {
                return ReadStatus.NotMapped;
            }

            bytesRead = (int)Math.Min((ulong)destination.Length, (ulong)data.Length - address);
            data.AsSpan((int)address, bytesRead).CopyTo(destination);
            return bytesRead == destination.Length ? ReadStatus.Ok : ReadStatus.NotMapped;
        }

        public string? ExplainFailure(ulong address, ReadStatus status) => null;
    }
}
