using Kdx.Core.Dumps;
using Kdx.Core.Elf;

namespace Kdx.Tests.Elf;

public class ElfSymbolTests
{
    // Sections: [1] .text  [2] .symtab  [3] .strtab  [4] .shstrtab
    private static ElfWriter WithSymbols(byte[] symtab, byte[] strtab, ulong entsize = 24, uint link = 3)
    {
        var w = new ElfWriter { Type = 2 };
        w.AddSection(".text", 1, new byte[16], flags: 6, addr: 0xffffffff81000000);
        w.AddSection(".symtab", 2, symtab, link: link, entsize: entsize);
        w.AddSection(".strtab", 3, strtab);
        return w;
    }

    [Fact]
    public void Every_field_of_every_symbol_is_read()
    {
        var strtab = "\0startup_64\0jiffies\0"u8.ToArray();
        var symtab = ElfWriter.Symbols(
            (1, 0x12, 1, 0xffffffff81000000, 0x40),
            (12, 0x21, 0xfff1, 0x1234, 8));
        using var elf = ElfFileTests.Read(WithSymbols(symtab, strtab).Build());

        elf.SymbolTableSection.ShouldNotBeNull().Name.ShouldBe(".symtab");
        var syms = elf.ReadSymbols();
        syms.Length.ShouldBe(3);
        syms[0].Name.ShouldBe("");
        syms[0].IsUndefined.ShouldBeTrue();
        var s = syms[1];
        s.Index.ShouldBe(1);
        s.Name.ShouldBe("startup_64");
        s.Value.ShouldBe(0xffffffff81000000);
        s.Size.ShouldBe(0x40UL);
        s.Type.ShouldBe(ElfSymbolType.Func);
        s.Binding.ShouldBe(ElfSymbolBinding.Global);
        s.SectionIndex.ShouldBe(1u);
        s.IsAbsolute.ShouldBeFalse();
        syms[2].Name.ShouldBe("jiffies");
        syms[2].Type.ShouldBe(ElfSymbolType.Object);
        syms[2].Binding.ShouldBe(ElfSymbolBinding.Weak);
        syms[2].IsAbsolute.ShouldBeTrue();
    }

    [Fact]
    public void St_other_is_kept()
    {
        var symtab = ElfWriter.Symbols((1, 0x12, 1, 0x10, 0));
        symtab[24 + 5] = 2;
        using var elf = ElfFileTests.Read(WithSymbols(symtab, "\0f\0"u8.ToArray()).Build());
        elf.ReadSymbols()[1].Other.ShouldBe((byte)2);
    }

    [Fact]
    public void Extended_section_indexes_come_from_symtab_shndx()
    {
        var w = WithSymbols(ElfWriter.Symbols((1, 0x12, 0xffff, 0x10, 0), (1, 0x12, 1, 0x20, 0)), "\0f\0"u8.ToArray());
        var shndx = new byte[12];
        ElfWriter.W32(shndx, 4, 70000);
        w.AddSection(".symtab_shndx", 18, shndx, link: 2, entsize: 4);
        using var elf = ElfFileTests.Read(w.Build());
        var syms = elf.ReadSymbols();
        syms[1].SectionIndex.ShouldBe(70000u);
        syms[2].SectionIndex.ShouldBe(1u);
    }

    [Fact]
    public void A_short_symtab_shndx_is_an_error()
    {
        var w = WithSymbols(ElfWriter.Symbols((1, 0x12, 0xffff, 0x10, 0)), "\0f\0"u8.ToArray());
        w.AddSection(".symtab_shndx", 18, new byte[4], link: 2, entsize: 4);
        using var elf = ElfFileTests.Read(w.Build());
        Should.Throw<DumpFormatException>(() => elf.ReadSymbols()).Message.ShouldContain("extended section indexes for 2 symbols");
    }

    [Fact]
    public void A_name_outside_the_string_table_is_an_error_naming_the_symbol()
    {
        var w = WithSymbols(ElfWriter.Symbols((1, 0x12, 1, 0x10, 0), (500, 0x12, 1, 0x20, 0)), "\0f\0"u8.ToArray());
        using var elf = ElfFileTests.Read(w.Build());
        var e = Should.Throw<DumpFormatException>(() => elf.ReadSymbols());
        e.Problem.ShouldContain("symbol 2 of section [2] .symtab: st_name 500 is outside its string table");
        e.Offset.ShouldBe((long)elf.SymbolTableSection!.Offset + (2 * 24));
    }

    [Fact]
    public void A_name_without_its_nul_runs_to_the_end_of_the_table()
    {
        using var elf = ElfFileTests.Read(WithSymbols(ElfWriter.Symbols((1, 0x12, 1, 0x10, 0)), "\0abc"u8.ToArray()).Build());
        elf.ReadSymbols()[1].Name.ShouldBe("abc");
    }

    [Fact]
    public void A_stripped_file_has_no_symbol_table()
    {
        var w = new ElfWriter { Type = 2 };
        w.AddSection(".text", 1, new byte[4], flags: 6);
        using var elf = ElfFileTests.Read(w.Build());
        elf.SymbolTableSection.ShouldBeNull();
        Should.Throw<DumpFormatException>(() => elf.ReadSymbols()).Message.ShouldContain("has no symbol table (.symtab): the file is stripped");
    }

    [Fact]
    public void A_wrong_entry_size_is_an_error()
    {
        using var elf = ElfFileTests.Read(WithSymbols(ElfWriter.Symbols((1, 0x12, 1, 0x10, 0)), "\0f\0"u8.ToArray(), entsize: 16).Build());
        Should.Throw<DumpFormatException>(() => elf.ReadSymbols()).Message.ShouldContain("sh_entsize 16, not 24");
    }

    [Fact]
    public void A_size_that_is_not_a_whole_number_of_symbols_is_an_error()
    {
        var symtab = ElfWriter.Symbols((1, 0x12, 1, 0x10, 0));
        using var elf = ElfFileTests.Read(WithSymbols([.. symtab, 1, 2, 3], "\0f\0"u8.ToArray()).Build());
        Should.Throw<DumpFormatException>(() => elf.ReadSymbols()).Message.ShouldContain("not a multiple of 24");
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(99u)]
    public void A_link_to_something_else_than_a_string_table_is_an_error(uint link)
    {
        using var elf = ElfFileTests.Read(WithSymbols(ElfWriter.Symbols((1, 0x12, 1, 0x10, 0)), "\0f\0"u8.ToArray(), link: link).Build());
        Should.Throw<DumpFormatException>(() => elf.ReadSymbols()).Message.ShouldContain($"links to section {link}, which is not a string table");
    }

    [Fact]
    public void Reading_a_section_that_is_not_a_symbol_table_is_an_error()
    {
        using var elf = ElfFileTests.Read(WithSymbols(ElfWriter.Symbols((1, 0x12, 1, 0x10, 0)), "\0f\0"u8.ToArray()).Build());
        Should.Throw<DumpFormatException>(() => elf.ReadSymbols(elf.FindSection(".text"))).Message.ShouldContain("is not a symbol table (sh_type 1)");
    }

    [Fact]
    public void Too_many_symbols_are_refused()
    {
        var symtab = ElfWriter.Symbols((1, 0x12, 1, 0x10, 0), (1, 0x12, 1, 0x20, 0), (1, 0x12, 1, 0x30, 0));
        using var elf = ElfFileTests.Read(WithSymbols(symtab, "\0f\0"u8.ToArray()).Build(), ParseLimits.Default with { MaxSymbols = 2 });
        Should.Throw<DumpFormatException>(() => elf.ReadSymbols()).Message.ShouldContain("4 symbols, more than the limit of 2");
    }

    [Fact]
    public void A_compressed_symbol_table_is_read()
    {
        var symtab = ElfWriter.Symbols((1, 0x12, 1, 0x10, 0), (3, 0x11, 1, 0x20, 0));
        var chdr = new byte[24];
        ElfWriter.W32(chdr, 0, 1);
        ElfWriter.W64(chdr, 8, (ulong)symtab.Length);
        var w = WithSymbols([.. chdr, .. ElfFileTests.Zlib(symtab)], "\0f\0g\0"u8.ToArray());
        w.Sections[1].Flags = 0x800;
        using var elf = ElfFileTests.Read(w.Build());
        elf.ReadSymbols().Select(s => s.Name).ShouldBe(["", "f", "g"]);
    }
}
