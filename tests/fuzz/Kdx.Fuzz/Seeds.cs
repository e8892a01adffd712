using System.Buffers.Binary;
using System.Text;
using Kdx.Core.Compression;

namespace Kdx.Fuzz;

/// <summary>
/// Writes the seed inputs of the targets that are not hand-made files (compressed pages, page
/// tables, a small ELF, a System.map): <c>Kdx.Fuzz --make-seeds tests/fuzz/corpus</c>.
/// </summary>
internal static class Seeds
{
    public static void Write(string corpus)
    {
        var page = KernelLikePage();
        using var codec = new PageCodec();
        Directory.CreateDirectory(Path.Combine(corpus, "lzo"));
        Directory.CreateDirectory(Path.Combine(corpus, "codec"));
        var buffer = new byte[PageCodec.MaxCompressedSize(PageCompression.Zstd, page.Length) + 4096];
        int n = Lzo1x.Compress(page, buffer);
        File.WriteAllBytes(Path.Combine(corpus, "lzo", "page.lzo"), buffer[..n]);
        foreach (var kind in (PageCompression[])[PageCompression.Zlib, PageCompression.Lzo, PageCompression.Snappy, PageCompression.Zstd])
        {
            n = codec.Compress(kind, page, buffer);
            var seed = new byte[n + 1];
            seed[0] = (byte)((int)kind - 1);
            buffer.AsSpan(0, n).CopyTo(seed.AsSpan(1));
            File.WriteAllBytes(Path.Combine(corpus, "codec", $"{kind.ToString().ToLowerInvariant()}.bin"), seed);
        }

        Directory.CreateDirectory(Path.Combine(corpus, "pagetable"));
        File.WriteAllBytes(Path.Combine(corpus, "pagetable", "four-level.bin"), PageTables());
        Directory.CreateDirectory(Path.Combine(corpus, "systemmap"));
        File.WriteAllText(Path.Combine(corpus, "systemmap", "System.map"), """
            0000000000000000 A fixed_percpu_data
            0000000000001000 D cpu_number
            ffffffff81000000 T _text
            ffffffff81000000 T _stext
            ffffffff81001000 t early_idt_handler_common
            ffffffff81e00000 R linux_banner
            ffffffff82000000 D init_task
            ffffffff82400000 B jiffies_64
            ffffffff82a00000 B _end

            """);
        File.WriteAllBytes(Path.Combine(corpus, "dump", "elf-core.bin"), TinyCore());
        Directory.CreateDirectory(Path.Combine(corpus, "btf"));
        File.WriteAllBytes(Path.Combine(corpus, "btf", "every-kind.btf"), BtfSeeds.EveryKind());
        File.WriteAllBytes(Path.Combine(corpus, "btf", "split.btf"), BtfSeeds.Split());
        Directory.CreateDirectory(Path.Combine(corpus, "kallsyms"));
        File.WriteAllBytes(Path.Combine(corpus, "kallsyms", "tables.bin"), KallsymsSeeds.Tables());
        Directory.CreateDirectory(Path.Combine(corpus, "elf"));
        File.WriteAllBytes(Path.Combine(corpus, "elf", "tiny-exec.elf"), TinyElf());
        Directory.CreateDirectory(Path.Combine(corpus, "dwarf"));
        foreach (var (version, dwarf64) in ((int, bool)[])[(3, false), (4, false), (5, false), (5, true)])
        {
            string name = $"kernel-v{version}{(dwarf64 ? "-64" : string.Empty)}.bin";
            File.WriteAllBytes(Path.Combine(corpus, "dwarf", name), FuzzTargets.PackDwarf(Dwarf.SeedKernel.Build(version, dwarf64)));
        }
    }

    // A page that looks like kernel data: pointers, small counters, zeros and a string.
    private static byte[] KernelLikePage()
    {
        var page = new byte[4096];
        for (int i = 0; i < 256; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(page.AsSpan(i * 8), 0xffff888000000000UL + (ulong)(i * 0x40));
        }

        Encoding.ASCII.GetBytes("Linux version 6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org)").CopyTo(page, 3000);
        return page;
    }

    // Root at 0 → PUD table at 0x1000 → PMD table at 0x2000 with a 2 MiB page, and a PTE table at 0x3000.
    private static byte[] PageTables()
    {
        var m = new byte[0x4000];
        void Entry(int table, int index, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(m.AsSpan(table + (index * 8)), value);
        BinaryPrimitives.WriteUInt64LittleEndian(m, 0xffffffff81200000); // also a virtual address to walk
        Entry(0, 511, 0x1000 | 0x63);
        Entry(0x1000, 510, 0x2000 | 0x63);
        Entry(0x2000, 9, 0x200000 | 0xe3);
        Entry(0x2000, 8, 0x3000 | 0x63);
        Entry(0x3000, 0, 0x5000 | 0x63);
        return m;
    }

    // An x86_64 ET_EXEC with .text, .symtab, .strtab and .shstrtab.
    private static byte[] TinyElf()
    {
        var shstr = Encoding.ASCII.GetBytes("\0.text\0.symtab\0.strtab\0.shstrtab\0");
        var str = Encoding.ASCII.GetBytes("\0_stext\0linux_banner\0");
        var text = new byte[64];
        var sym = new byte[24 * 3];
        void Sym(int i, uint name, byte info, ushort shndx, ulong value, ulong size)
        {
            var s = sym.AsSpan(i * 24);
            BinaryPrimitives.WriteUInt32LittleEndian(s, name);
            s[4] = info;
            BinaryPrimitives.WriteUInt16LittleEndian(s[6..], shndx);
            BinaryPrimitives.WriteUInt64LittleEndian(s[8..], value);
            BinaryPrimitives.WriteUInt64LittleEndian(s[16..], size);
        }

        Sym(1, 1, 0x12, 1, 0xffffffff81000000, 16);
        Sym(2, 8, 0x11, 1, 0xffffffff81000020, 32);
        int textOff = 64, symOff = textOff + text.Length, strOff = symOff + sym.Length, shstrOff = strOff + str.Length;
        int shOff = (shstrOff + shstr.Length + 7) & ~7;
        var f = new byte[shOff + (5 * 64)];
        "\u007fELF"u8.CopyTo(f);
        f[4] = 2;
        f[5] = 1;
        f[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(16), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(18), 62);
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(40), (ulong)shOff);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(52), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(58), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(60), 5);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(62), 4);
        text.CopyTo(f, textOff);
        sym.CopyTo(f, symOff);
        str.CopyTo(f, strOff);
        shstr.CopyTo(f, shstrOff);
        void Section(int i, uint name, uint type, ulong flags, ulong addr, int off, int size, uint link, uint info, ulong entsize)
        {
            var s = f.AsSpan(shOff + (i * 64));
            BinaryPrimitives.WriteUInt32LittleEndian(s, name);
            BinaryPrimitives.WriteUInt32LittleEndian(s[4..], type);
            BinaryPrimitives.WriteUInt64LittleEndian(s[8..], flags);
            BinaryPrimitives.WriteUInt64LittleEndian(s[16..], addr);
            BinaryPrimitives.WriteUInt64LittleEndian(s[24..], (ulong)off);
            BinaryPrimitives.WriteUInt64LittleEndian(s[32..], (ulong)size);
            BinaryPrimitives.WriteUInt32LittleEndian(s[40..], link);
            BinaryPrimitives.WriteUInt32LittleEndian(s[44..], info);
            BinaryPrimitives.WriteUInt64LittleEndian(s[48..], 1);
            BinaryPrimitives.WriteUInt64LittleEndian(s[56..], entsize);
        }

        Section(1, 1, 1, 6, 0xffffffff81000000, textOff, text.Length, 0, 0, 0);
        Section(2, 7, 2, 0, 0, symOff, sym.Length, 3, 1, 24);
        Section(3, 15, 3, 0, 0, strOff, str.Length, 0, 0, 0);
        Section(4, 23, 3, 0, 0, shstrOff, shstr.Length, 0, 0, 0);
        return f;
    }

    // An ELF core like /proc/vmcore: PT_NOTE (NT_PRSTATUS, VMCOREINFO) and one PT_LOAD of two pages.
    private static byte[] TinyCore()
    {
        static byte[] Note(string name, uint type, byte[] desc)
        {
            var nameBytes = Encoding.ASCII.GetBytes(name + "\0");
            int nl = (nameBytes.Length + 3) & ~3, dl = (desc.Length + 3) & ~3;
            var b = new byte[12 + nl + dl];
            BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)nameBytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)desc.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), type);
            nameBytes.CopyTo(b, 12);
            desc.CopyTo(b, 12 + nl);
            return b;
        }

        var notes = Note("CORE", 1, new byte[336])
            .Concat(Note("VMCOREINFO", 0, Encoding.ASCII.GetBytes("OSRELEASE=6.1.0\nPAGESIZE=4096\nKERNELOFFSET=0\nNUMBER(phys_base)=0\n")))
            .ToArray();
        int phOff = 64, noteOff = phOff + (2 * 56), loadOff = 4096;
        var f = new byte[loadOff + 8192];
        "\u007fELF"u8.CopyTo(f);
        f[4] = 2;
        f[5] = 1;
        f[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(16), 4);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(18), 62);
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(32), (ulong)phOff);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(52), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(54), 56);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(56), 2);
        notes.CopyTo(f, noteOff);
        void Phdr(int i, uint type, int off, ulong vaddr, ulong paddr, int size)
        {
            var p = f.AsSpan(phOff + (i * 56));
            BinaryPrimitives.WriteUInt32LittleEndian(p, type);
            BinaryPrimitives.WriteUInt64LittleEndian(p[8..], (ulong)off);
            BinaryPrimitives.WriteUInt64LittleEndian(p[16..], vaddr);
            BinaryPrimitives.WriteUInt64LittleEndian(p[24..], paddr);
            BinaryPrimitives.WriteUInt64LittleEndian(p[32..], (ulong)size);
            BinaryPrimitives.WriteUInt64LittleEndian(p[40..], (ulong)size);
        }

        Phdr(0, 4, noteOff, 0, 0, notes.Length);
        Phdr(1, 1, loadOff, 0xffff888000100000, 0x100000, 8192);
        KernelLikePage().CopyTo(f, loadOff);
        return f;
    }
}
