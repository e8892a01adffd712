using System.Text;
using Kdx.Core.Dumps;
using Kdx.Core.IO;
using Kdx.Core.Symbols;
using Kdx.Tests.Elf;

namespace Kdx.Tests.Symbols;

public class SymbolTableReaderTests
{
    /// <summary>A vmlinux in miniature: sections like the real one and one symbol of each kind.</summary>
    private static byte[] Vmlinux()
    {
        var w = new ElfWriter { Type = 2 };
        w.AddSection(".text", 1, new byte[0x100], flags: 6, addr: 0xffffffff81000000);      // [1]
        w.AddSection("__ksymtab", 1, new byte[0x10], flags: 2, addr: 0xffffffff82000000);    // [2]
        w.AddSection(".data", 1, new byte[0x10], flags: 3, addr: 0xffffffff82a00000);        // [3]
        w.AddSection(".data..percpu", 1, new byte[0x10], flags: 3, addr: 0);                 // [4]
        var bss = w.AddSection(".bss", 8, [], flags: 3, addr: 0xffffffff832b1000);          // [5]
        bss.Size = 0x1000;
        w.AddSection(".debug_info", 1, new byte[4]);                                          // [6]
        var strtab = new StringBuilder("\0");
        var syms = new List<(uint, byte, ushort, ulong, ulong)>();
        void Sym(string name, byte info, ushort shndx, ulong value, ulong size = 0)
        {
            syms.Add(((uint)strtab.Length, info, shndx, value, size));
            strtab.Append(name).Append('\0');
        }

        Sym("vmlinux.o", 0x04, 0xfff1, 0);                          // STT_FILE: not listed
        Sym("", 0x03, 1, 0xffffffff81000000);                       // STT_SECTION: not listed
        Sym("_text", 0x10, 1, 0xffffffff81000000);                  // T
        Sym("startup_64", 0x12, 1, 0xffffffff81000000, 0x40);       // T
        Sym("local_helper", 0x02, 1, 0xffffffff81000080, 0x10);     // t
        Sym("__ksymtab_schedule", 0x01, 2, 0xffffffff82000000, 12); // r
        Sym("jiffies", 0x11, 3, 0xffffffff82a00000, 8);             // D
        Sym("runqueues", 0x11, 4, 0x1f000, 0x1000);                 // D, per-CPU
        Sym("phys_startup_64", 0x10, 0xfff1, 0x1000000);            // A, outside the image
        Sym("init_per_cpu__gdt_page", 0x10, 0xfff1, 0xffffffff82a00008); // A, inside the image
        Sym("__bss_start", 0x10, 5, 0xffffffff832b1000);            // B
        Sym("_end", 0x10, 5, 0xffffffff832b2000);                   // B
        Sym("undefined_thing", 0x10, 0, 0);                         // U: not in the table
        Sym("weak_fn", 0x22, 1, 0xffffffff810000c0);                // W
        w.AddSection(".symtab", 2, ElfWriter.Symbols([.. syms]), link: 8, entsize: 24); // [7]
        w.AddSection(".strtab", 3, Encoding.ASCII.GetBytes(strtab.ToString()));           // [8]
        return w.Build();
    }

    [Fact]
    public void A_vmlinux_gives_nm_letters_and_its_image_range()
    {
        using var elf = ElfFileTests.Read(Vmlinux());
        var t = SymbolTable.FromElf(elf);
        var letters = t.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => $"{s.Type} {s.Name}");
        letters.ShouldBe(new Dictionary<string, char>
        {
            ["_text"] = 'T',
            ["startup_64"] = 'T',
            ["local_helper"] = 't',
            ["__ksymtab_schedule"] = 'r',
            ["jiffies"] = 'D',
            ["runqueues"] = 'D',
            ["phys_startup_64"] = 'A',
            ["init_per_cpu__gdt_page"] = 'A',
            ["__bss_start"] = 'B',
            ["_end"] = 'B',
            ["weak_fn"] = 'W',
        }.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Value} {k.Key}"));
        t.Image.ShouldBe(new KernelImageRange(0xffffffff81000000, 0xffffffff832b2000));
        t.TryGetSymbol("startup_64", out var s).ShouldBeTrue();
        s.Size.ShouldBe(0x40UL);
    }

    [Fact]
    public void A_relocated_vmlinux_table_moves_like_crash_does()
    {
        using var elf = ElfFileTests.Read(Vmlinux());
        var t = SymbolTable.FromElf(elf).Relocate(0x29000000);
        Address(t, "startup_64").ShouldBe(0xffffffffaa000000);
        Address(t, "_end").ShouldBe(0xffffffffac2b2000);
        Address(t, "init_per_cpu__gdt_page").ShouldBe(0xffffffffaba00008);
        Address(t, "runqueues").ShouldBe(0x1f000UL);
        Address(t, "phys_startup_64").ShouldBe(0x1000000UL);
    }

    [Fact]
    public void A_module_has_no_image_range()
    {
        var w = new ElfWriter { Type = 1 };
        w.AddSection(".text", 1, new byte[16], flags: 6);
        w.AddSection(".symtab", 2, ElfWriter.Symbols((1, 0x12, 1, 0, 16)), link: 3, entsize: 24);
        w.AddSection(".strtab", 3, "\0init_module\0"u8.ToArray());
        using var elf = ElfFileTests.Read(w.Build());
        var t = SymbolTable.FromElf(elf);
        t.Image.ShouldBeNull();
        t.ShouldHaveSingleItem().Name.ShouldBe("init_module");
    }

    [Fact]
    public void An_executable_without_text_has_no_image_range()
    {
        var w = new ElfWriter { Type = 2 };
        w.AddSection(".data", 1, new byte[16], flags: 3, addr: 0x1000);
        w.AddSection(".symtab", 2, ElfWriter.Symbols((1, 0x11, 1, 0x1000, 16)), link: 3, entsize: 24);
        w.AddSection(".strtab", 3, "\0x\0"u8.ToArray());
        using var elf = ElfFileTests.Read(w.Build());
        SymbolTable.FromElf(elf).Image.ShouldBeNull();
    }

    [Fact]
    public void A_system_map_is_parsed()
    {
        var map = "0000000000000000 D __per_cpu_start\n"
            + "00000000000001ea A kexec_control_code_size\r\n"
            + "\n"
            + "ffffffff81000000 T _text\n"
            + "ffffffff81000000 T startup_64\n"
            + "ffffffffc0000000 t vmlab_init\t[vmlab]\n"
            + "ffffffff83000000 B _end";
        var t = SymbolTable.FromSystemMap(Source(map));
        t.Count.ShouldBe(6);
        t.Image.ShouldBe(new KernelImageRange(0xffffffff81000000, 0xffffffff83000000));
        t.TryGetSymbol("kexec_control_code_size", out var s).ShouldBeTrue();
        s.Type.ShouldBe('A');
        s.Size.ShouldBe(0UL);
        t.TryLookup(0xffffffff81000010, out var hit).ShouldBeTrue();
        hit.Symbol.Name.ShouldBe("_text");
        Address(t, "vmlab_init").ShouldBe(0xffffffffc0000000);
        Address(t.Relocate(0x1000), "vmlab_init").ShouldBe(0xffffffffc0000000);
        Address(t.Relocate(0x1000), "startup_64").ShouldBe(0xffffffff81001000);
    }

    [Fact]
    public void A_system_map_image_runs_from_text_or_stext_to_the_last_symbol_below_the_modules()
    {
        SymbolTable.FromSystemMap(Source("ffffffff81000000 T _stext\nffffffff82000000 B _end\nffffffffc0001000 t mod_fn\n")).Image
            .ShouldBe(new KernelImageRange(0xffffffff81000000, 0xffffffff82000000));
        SymbolTable.FromSystemMap(Source("0000000000000000 D __per_cpu_start\nffffffff81000000 T _stext\n")).Image
            .ShouldBe(new KernelImageRange(0xffffffff81000000, 0xffffffff81000000));
        SymbolTable.FromSystemMap(Source("ffffffff81000000 T startup_64\n")).Image.ShouldBeNull();
        SymbolTable.FromSystemMap(Source("ffffffffc0000000 T _text\n")).Image.ShouldBeNull();
    }

    [Fact]
    public void Init_scratch_past_end_moves_with_the_image()
    {
        // Linux v5.x arch/x86/kernel/vmlinux.lds.S: .init.scratch follows _end inside the image.
        var t = SymbolTable.FromSystemMap(Source("ffffffff81000000 T _text\nffffffff83830000 B _end\nffffffff83a00000 D __init_scratch_begin\n"))
            .Relocate(0x29000000);
        Address(t, "__init_scratch_begin").ShouldBe(0xffffffffaca00000);
        Address(t, "_end").ShouldBe(0xffffffffac830000);
    }

    [Theory]
    [InlineData("ffffffff81000000 T\n", 1)]
    [InlineData("\nxyz T name\n", 2)]
    [InlineData("ffffffff81000000 TT name\n", 1)]
    [InlineData("ffffffff81000000 1 name\n", 1)]
    [InlineData("ffffffff81000000 T a b c\n", 1)]
    [InlineData("ffffffff81000000 T a\nffffffff81000000 T a b c d e f\n", 2)]
    public void A_malformed_line_is_an_error_naming_it(string map, int line)
    {
        var e = Should.Throw<DumpFormatException>(() => SymbolTable.FromSystemMap(Source(map)));
        e.Message.ShouldContain($"line {line} is not a System.map line");
        e.Message.ShouldStartWith("System.map: ");
    }

    [Fact]
    public void The_debian_placeholder_map_is_refused_with_its_own_words()
    {
        var e = Should.Throw<DumpFormatException>(() => SymbolTable.FromSystemMap(Source("ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n")));
        e.Message.ShouldContain("line 1 is not a System.map line");
        e.Message.ShouldContain("The real System.map is in the linux-image-<version>-dbg package");
    }

    [Fact]
    public void A_system_map_file_is_read_from_disk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kdx-map-{Guid.NewGuid():N}");
        File.WriteAllText(path, "ffffffff81000000 T _text\n");
        try
        {
            SymbolTable.FromSystemMap(path).ShouldHaveSingleItem().Name.ShouldBe("_text");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static MemoryByteSource Source(string text) => new("System.map", Encoding.ASCII.GetBytes(text));

    private static ulong Address(SymbolTable t, string name) => t.TryGetAddress(name, out ulong a) ? a : throw new ShouldAssertException($"no {name}");
}
