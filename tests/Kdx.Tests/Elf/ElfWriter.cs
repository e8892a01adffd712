using System.Buffers.Binary;
using System.Text;

namespace Kdx.Tests.Elf;

/// <summary>
/// Builds little-endian ELF64 files for tests: any header value, program headers with their data,
/// sections (section 0 and .shstrtab are added), and the layouts of real producers (QEMU 7.2 puts the
/// section headers before the program headers; PN_XNUM keeps the real e_phnum in section 0).
/// </summary>
internal sealed class ElfWriter
{
    public byte[] Ident { get; } = [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    public ushort Type { get; set; } = 4;

    public ushort Machine { get; set; } = 62;

    public uint Version { get; set; } = 1;

    public ulong Entry { get; set; }

    public uint Flags { get; set; }

    public ushort EhSize { get; set; } = 64;

    /// <summary>Section headers right after the file header, program headers after them (QEMU 7.2).</summary>
    public bool SectionHeadersFirst { get; set; }

    /// <summary>Write e_phnum = PN_XNUM and the real count in section 0's sh_info.</summary>
    public bool UseXnum { get; set; }

    /// <summary>Write e_shnum = 0 and the real count in section 0's sh_size.</summary>
    public bool ShnumInSection0 { get; set; }

    /// <summary>Write e_shstrndx = SHN_XINDEX and the real index in section 0's sh_link.</summary>
    public bool ShstrndxInSection0 { get; set; }

    /// <summary>Alignment of segment data in the file (4096 like /proc/vmcore, 1 to pack like makedumpfile).</summary>
    public int DataAlign { get; set; } = 8;

    /// <summary>Where segment data starts at the earliest (e.g. 4096 to page-align the first segment).</summary>
    public int DataStart { get; set; }

    public List<Segment> Segments { get; } = [];

    public List<Section> Sections { get; } = [];

    /// <summary>Offsets of things in the last built file, for tests that corrupt them.</summary>
    public long ProgramHeaderOffset { get; private set; }

    public long SectionHeaderOffset { get; private set; }

    public Segment AddSegment(uint type, byte[] data, ulong paddr = 0, ulong vaddr = 0, ulong? memsz = null, uint flags = 7)
    {
        var s = new Segment { Type = type, Data = data, PhysicalAddress = paddr, VirtualAddress = vaddr, MemorySize = memsz, Flags = flags };
        Segments.Add(s);
        return s;
    }

    public Section AddSection(string name, uint type, byte[] data, ulong flags = 0, ulong addr = 0, uint link = 0, uint info = 0, ulong entsize = 0)
    {
        var s = new Section { Name = name, Type = type, Data = data, Flags = flags, Address = addr, Link = link, Info = info, EntrySize = entsize };
        Sections.Add(s);
        return s;
    }

    public byte[] Build()
    {
        var body = new MemoryStream();
        int phnum = Segments.Count;
        bool hasSections = Sections.Count > 0 || UseXnum || ShnumInSection0 || ShstrndxInSection0;
        var allSections = new List<Section> { new() { Name = "", Type = 0, Data = [] } };
        allSections.AddRange(Sections);
        Section? shstrtab = null;
        if (hasSections)
        {
            shstrtab = new Section { Name = ".shstrtab", Type = 3, Data = [] };
            allSections.Add(shstrtab);
        }

        // Section names.
        var names = new MemoryStream();
        names.WriteByte(0);
        var nameOffsets = new uint[allSections.Count];
        for (int i = 1; i < allSections.Count; i++)
        {
            nameOffsets[i] = allSections[i].NameOffsetOverride ?? (uint)names.Position;
            names.Write(Encoding.ASCII.GetBytes(allSections[i].Name));
            names.WriteByte(0);
        }

        if (shstrtab is not null)
        {
            shstrtab.Data = names.ToArray();
        }

        int shnum = hasSections ? allSections.Count : 0;
        long pos = 64;
        long shoff = 0, phoff = 0;
        if (SectionHeadersFirst && hasSections)
        {
            shoff = pos;
            pos += shnum * 64L;
        }

        phoff = phnum > 0 ? pos : 0;
        pos += phnum * 56L;
        if (!SectionHeadersFirst && hasSections)
        {
            shoff = Align(pos, 8);
            pos = shoff + (shnum * 64L);
        }

        pos = Math.Max(pos, DataStart);

        // Segment data.
        foreach (var s in Segments)
        {
            if (s.Offset is null)
            {
                pos = Align(pos, DataAlign);
                s.AssignedOffset = pos;
                pos += s.Data.Length;
            }
            else
            {
                s.AssignedOffset = s.Offset.Value;
                if (s.Data.Length > 0)
                {
                    pos = Math.Max(pos, s.Offset.Value + s.Data.Length);
                }
            }
        }

        // Section data.
        foreach (var s in allSections.Skip(1))
        {
            if (s.Offset is null)
            {
                pos = Align(pos, 8);
                s.AssignedOffset = pos;
                pos += s.Type == 8 ? 0 : s.Data.Length;
            }
            else
            {
                s.AssignedOffset = s.Offset.Value;
                pos = Math.Max(pos, s.Offset.Value + (s.Type == 8 ? 0 : s.Data.Length));
            }
        }

        var file = new byte[pos];
        var h = file.AsSpan();
        Ident.CopyTo(h);
        W16(h, 16, Type);
        W16(h, 18, Machine);
        W32(h, 20, Version);
        W64(h, 24, Entry);
        W64(h, 32, (ulong)phoff);
        W64(h, 40, (ulong)shoff);
        W32(h, 48, Flags);
        W16(h, 52, EhSize);
        W16(h, 54, 56);
        W16(h, 56, (ushort)(UseXnum ? 0xffff : phnum));
        W16(h, 58, (ushort)(hasSections ? 64 : 0));
        W16(h, 60, (ushort)(ShnumInSection0 ? 0 : shnum));
        int shstrndx = shstrtab is null ? 0 : allSections.Count - 1;
        W16(h, 62, (ushort)(ShstrndxInSection0 ? 0xffff : shstrndx));
        ProgramHeaderOffset = phoff;
        SectionHeaderOffset = shoff;

        for (int i = 0; i < Segments.Count; i++)
        {
            var s = Segments[i];
            var p = h.Slice((int)phoff + (i * 56), 56);
            W32(p, 0, s.Type);
            W32(p, 4, s.Flags);
            W64(p, 8, (ulong)s.AssignedOffset);
            W64(p, 16, s.VirtualAddress);
            W64(p, 24, s.PhysicalAddress);
            W64(p, 32, s.FileSize ?? (ulong)s.Data.Length);
            W64(p, 40, s.MemorySize ?? s.FileSize ?? (ulong)s.Data.Length);
            W64(p, 48, s.Align);
            if (s.Data.Length > 0)
            {
                s.Data.CopyTo(h[(int)s.AssignedOffset..]);
            }
        }

        for (int i = 0; i < shnum; i++)
        {
            var s = allSections[i];
            var p = h.Slice((int)shoff + (i * 64), 64);
            W32(p, 0, nameOffsets[i]);
            W32(p, 4, s.Type);
            W64(p, 8, s.Flags);
            W64(p, 16, s.Address);
            W64(p, 24, i == 0 ? 0 : (ulong)s.AssignedOffset);
            W64(p, 32, s.Size ?? (ulong)s.Data.Length);
            W32(p, 40, s.Link);
            W32(p, 44, s.Info);
            W64(p, 48, s.AddressAlign);
            W64(p, 56, s.EntrySize);
            if (i == 0)
            {
                if (UseXnum)
                {
                    W32(p, 44, (uint)phnum);
                }

                if (ShnumInSection0)
                {
                    W64(p, 32, (ulong)shnum);
                }

                if (ShstrndxInSection0)
                {
                    W32(p, 40, (uint)shstrndx);
                }
            }
            else if (s.Type != 8)
            {
                s.Data.CopyTo(h[(int)s.AssignedOffset..]);
            }
        }

        return file;
    }

    public static byte[] Note(string name, uint type, byte[] desc)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        int size = 12 + Align4(nameBytes.Length) + Align4(desc.Length);
        var n = new byte[size];
        W32(n, 0, (uint)nameBytes.Length);
        W32(n, 4, (uint)desc.Length);
        W32(n, 8, type);
        nameBytes.CopyTo(n, 12);
        desc.CopyTo(n, 12 + Align4(nameBytes.Length));
        return n;
    }

    /// <summary>An x86_64 elf_prstatus with pid and the 27 user_regs values (r15 … gs) = base + i.</summary>
    public static byte[] PrStatus(int pid, ulong regBase)
    {
        var d = new byte[336];
        W32(d, 0, 11);
        W32(d, 4, 22);
        W32(d, 8, 33);
        W16(d, 12, 44);
        W64(d, 16, 0x5555);
        W64(d, 24, 0x6666);
        W32(d, 32, (uint)pid);
        W32(d, 36, 7);
        W32(d, 40, 8);
        W32(d, 44, 9);
        for (int i = 0; i < 8; i++)
        {
            W64(d, 48 + (i * 8), (ulong)(100 + i));
        }

        for (int i = 0; i < 27; i++)
        {
            W64(d, 112 + (i * 8), regBase + (ulong)i);
        }

        W32(d, 328, 1);
        return d;
    }

    /// <summary>A QEMUCPUState: registers rax … rflags = base + i, segments numbered, cr[i] = 0xc0 + i, kernel_gs_base optional.</summary>
    public static byte[] QemuState(ulong regBase, ulong cr4 = 0xc4, ulong? kernelGsBase = null)
    {
        int size = kernelGsBase is null ? 432 : 440;
        var d = new byte[size];
        W32(d, 0, 1);
        W32(d, 4, (uint)size);
        for (int i = 0; i < 18; i++)
        {
            W64(d, 8 + (i * 8), regBase + (ulong)i);
        }

        for (int i = 0; i < 10; i++)
        {
            var s = d.AsSpan(152 + (i * 24), 24);
            W32(s, 0, (uint)(0x10 + i));
            W32(s, 4, (uint)(0x1000 + i));
            W32(s, 8, (uint)(0x2000 + i));
            W32(s, 12, 0);
            W64(s, 16, 0xb000 + (ulong)i);
        }

        for (int i = 0; i < 5; i++)
        {
            W64(d, 392 + (i * 8), i == 4 ? cr4 : 0xc0 + (ulong)i);
        }

        if (kernelGsBase is { } gs)
        {
            W64(d, 432, gs);
        }

        return d;
    }

    public static byte[] Symbols(params (uint Name, byte Info, ushort Shndx, ulong Value, ulong Size)[] symbols)
    {
        var b = new byte[24 * (symbols.Length + 1)];
        for (int i = 0; i < symbols.Length; i++)
        {
            var e = b.AsSpan(24 * (i + 1), 24);
            W32(e, 0, symbols[i].Name);
            e[4] = symbols[i].Info;
            W16(e, 6, symbols[i].Shndx);
            W64(e, 8, symbols[i].Value);
            W64(e, 16, symbols[i].Size);
        }

        return b;
    }

    public static void W16(Span<byte> b, int at, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(b[at..], v);

    public static void W32(Span<byte> b, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b[at..], v);

    public static void W64(Span<byte> b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b[at..], v);

    private static long Align(long v, int a) => a <= 1 ? v : (v + a - 1) / a * a;

    private static int Align4(int v) => (v + 3) & ~3;

    internal sealed class Segment
    {
        public uint Type { get; set; }

        public uint Flags { get; set; }

        public byte[] Data { get; set; } = [];

        public ulong VirtualAddress { get; set; }

        public ulong PhysicalAddress { get; set; }

        /// <summary>p_filesz when it differs from the data length (e.g. claims beyond the end of the file).</summary>
        public ulong? FileSize { get; set; }

        public ulong? MemorySize { get; set; }

        public ulong Align { get; set; }

        /// <summary>A fixed file offset (to share data between segments); null: placed after the previous data.</summary>
        public long? Offset { get; set; }

        public long AssignedOffset { get; set; }
    }

    internal sealed class Section
    {
        public string Name { get; set; } = "";

        public uint? NameOffsetOverride { get; set; }

        public uint Type { get; set; }

        public ulong Flags { get; set; }

        public ulong Address { get; set; }

        public byte[] Data { get; set; } = [];

        public ulong? Size { get; set; }

        public uint Link { get; set; }

        public uint Info { get; set; }

        public ulong AddressAlign { get; set; }

        public ulong EntrySize { get; set; }

        public long? Offset { get; set; }

        public long AssignedOffset { get; set; }
    }
}
