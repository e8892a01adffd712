using Kdx.Core.Dumps;
using Kdx.Core.Elf;

namespace Kdx.Tests.Elf;

public class ElfFileHostileTests
{
    private static DumpFormatException Fails(byte[] bytes, ParseLimits? limits = null) =>
        Should.Throw<DumpFormatException>(() => ElfFileTests.Read(bytes, limits));

    private static byte[] Valid()
    {
        var w = new ElfWriter { Type = 2 };
        w.AddSegment(1, new byte[32], paddr: 0x1000);
        w.AddSection(".text", 1, new byte[16], flags: 6);
        return w.Build();
    }

    [Fact]
    public void An_empty_file_is_not_an_elf_file()
    {
        var e = Fails([]);
        e.Message.ShouldBe("test.elf: not an ELF file (the file is empty) (at offset 0)");
    }

    [Theory]
    [InlineData(new byte[] { 0x7f, (byte)'E', (byte)'L' })]
    [InlineData(new byte[] { (byte)'M', (byte)'Z', 0, 0, 0 })]
    public void Bad_magic_is_not_an_elf_file(byte[] bytes) => Fails(bytes).Problem.ShouldBe("not an ELF file (bad magic)");

    [Fact]
    public void A_zeroed_header_is_not_an_elf_file()
    {
        var bytes = Valid();
        Array.Clear(bytes, 0, 64);
        Fails(bytes).Problem.ShouldBe("not an ELF file (bad magic)");
    }

    [Fact]
    public void A_header_cut_short_is_truncated()
    {
        var e = Fails(Valid()[..40]);
        e.Problem.ShouldBe("file truncated at offset 40 while reading the ELF header");
    }

    [Fact]
    public void Elf32_is_refused()
    {
        var bytes = Valid();
        bytes[4] = 1;
        var e = Fails(bytes);
        e.Offset.ShouldBe(4);
        e.Problem.ShouldContain("ELF class 1 is not supported");
    }

    [Fact]
    public void Big_endian_is_refused()
    {
        var bytes = Valid();
        bytes[5] = 2;
        Fails(bytes).Problem.ShouldContain("big-endian ELF is not supported");
        bytes[5] = 9;
        Fails(bytes).Problem.ShouldContain("ELF data encoding 9 is not supported");
    }

    [Fact]
    public void An_unknown_ident_version_is_refused()
    {
        var bytes = Valid();
        bytes[6] = 0;
        Fails(bytes).Problem.ShouldContain("ELF version 0 is not supported");
    }

    [Fact]
    public void An_absurd_program_header_count_is_refused_before_reading()
    {
        var w = new ElfWriter();
        w.AddSegment(1, new byte[8]);
        var bytes = w.Build();
        ElfWriter.W16(bytes, 56, 60000);
        Fails(bytes).Problem.ShouldContain("file truncated: program header table at offset 64 needs 3360000 bytes");
        Fails(bytes, ParseLimits.Default with { MaxProgramHeaders = 100 }).Problem.ShouldBe("60000 program headers is more than the limit of 100");
    }

    [Fact]
    public void A_pn_xnum_count_in_section_0_is_checked_against_the_limit()
    {
        var w = new ElfWriter { UseXnum = true };
        w.AddSegment(1, new byte[8]);
        var bytes = w.Build();
        ElfWriter.W32(bytes, (int)w.SectionHeaderOffset + 44, uint.MaxValue);
        Fails(bytes).Problem.ShouldContain("more than the limit");
    }

    [Fact]
    public void Pn_xnum_without_a_section_table_is_an_error()
    {
        var w = new ElfWriter();
        w.AddSegment(1, new byte[8]);
        var bytes = w.Build();
        ElfWriter.W16(bytes, 56, 0xffff);
        Fails(bytes).Problem.ShouldContain("PN_XNUM");
    }

    [Fact]
    public void An_absurd_section_count_is_refused()
    {
        var bytes = Valid();
        ElfWriter.W16(bytes, 60, 0xfff0);
        Fails(bytes).Problem.ShouldContain("section header table");
        Fails(bytes, ParseLimits.Default with { MaxSectionHeaders = 10 }).Problem.ShouldBe("65520 section headers is more than the limit of 10");
    }

    [Fact]
    public void A_section_count_from_section_0_is_checked_against_the_limit()
    {
        var w = new ElfWriter { ShnumInSection0 = true };
        w.AddSection(".a", 1, [1]);
        var bytes = w.Build();
        ElfWriter.W64(bytes, (int)w.SectionHeaderOffset + 32, ulong.MaxValue);
        Fails(bytes).Problem.ShouldContain("more than the limit");
    }

    [Theory]
    [InlineData(54, 20, "e_phentsize is 20")]
    [InlineData(58, 20, "e_shentsize is 20")]
    public void Entry_sizes_smaller_than_the_structure_are_refused(int field, ushort value, string message)
    {
        var bytes = Valid();
        ElfWriter.W16(bytes, field, value);
        Fails(bytes).Problem.ShouldContain(message);
    }

    [Fact]
    public void A_program_header_table_past_the_end_is_truncated()
    {
        var bytes = Valid();
        ElfWriter.W64(bytes, 32, 1UL << 40);
        var e = Fails(bytes);
        e.Problem.ShouldContain("program header table at offset 1099511627776");
        e.Offset.ShouldBe(bytes.Length);
    }

    [Fact]
    public void A_section_header_table_past_the_end_is_truncated()
    {
        var bytes = Valid();
        ElfWriter.W64(bytes, 40, ulong.MaxValue - 10);
        Fails(bytes).Problem.ShouldContain("section header 0");
    }

    [Fact]
    public void A_program_header_table_over_the_file_header_is_refused()
    {
        var bytes = Valid();
        ElfWriter.W64(bytes, 32, 8);
        Fails(bytes).Problem.ShouldContain("overlaps the ELF header");
    }

    [Fact]
    public void A_section_header_table_over_the_file_header_is_refused()
    {
        var bytes = Valid();
        ElfWriter.W64(bytes, 40, 0);
        using (var ok = ElfFileTests.Read(bytes))
        {
            ok.Sections.ShouldBeEmpty(); // e_shoff 0: no section table at all
        }

        ElfWriter.W64(bytes, 40, 1);
        Fails(bytes).Problem.ShouldContain("section header table at offset 1 overlaps the ELF header");
    }

    [Fact]
    public void Overlapping_program_and_section_header_tables_are_refused()
    {
        var w = new ElfWriter();
        w.AddSegment(1, new byte[8]);
        w.AddSection(".a", 1, [1]);
        var bytes = w.Build();
        ElfWriter.W64(bytes, 40, (ulong)w.ProgramHeaderOffset);
        var e = Fails(bytes);
        e.Problem.ShouldContain("overlaps the section header table");
    }

    [Fact]
    public void A_section_name_index_outside_the_table_is_refused()
    {
        var bytes = Valid();
        ElfWriter.W16(bytes, 62, 50);
        Fails(bytes).Problem.ShouldBe("e_shstrndx 50 is not a section (there are 3)");
    }

    [Fact]
    public void Bad_section_name_offsets_read_as_corrupt()
    {
        var w = new ElfWriter { Type = 2 };
        var s = w.AddSection(".text", 1, [1]);
        s.NameOffsetOverride = 9999;
        using var elf = ElfFileTests.Read(w.Build());
        elf.Sections[1].Name.ShouldBe("<corrupt>");
        elf.FindSection(".text").ShouldBeNull();
    }

    [Fact]
    public void A_section_name_table_beyond_the_end_leaves_sections_nameless()
    {
        var w = new ElfWriter { SectionHeadersFirst = true };
        w.AddSegment(1, new byte[64]);
        w.AddSection(".a", 1, [1]);
        var bytes = w.Build();

        // Cut the file before the name table (QEMU writes it last).
        var shstrtabOffset = BitConverter.ToInt64(bytes, (int)w.SectionHeaderOffset + (2 * 64) + 24);
        using var elf = ElfFileTests.Read(bytes[..(int)shstrtabOffset]);
        elf.Sections.Count.ShouldBe(3);
        elf.Sections[1].Name.ShouldBe("<corrupt>");
    }

    [Fact]
    public void Every_truncation_of_a_valid_file_is_read_or_refused_cleanly()
    {
        var w = new ElfWriter { Type = 2 };
        w.AddSegment(1, new byte[40], paddr: 0x1000);
        w.AddSegment(4, ElfWriter.Note("CORE", 1, new byte[16]));
        w.AddSection(".text", 1, new byte[16], flags: 6);
        w.AddSection(".symtab", 2, ElfWriter.Symbols((1, 0x12, 1, 0x10, 4)), link: 3, entsize: 24);
        w.AddSection(".strtab", 3, "\0f\0"u8.ToArray());
        var bytes = w.Build();
        int refused = 0;
        for (int n = 0; n <= bytes.Length; n++)
        {
            try
            {
                using var elf = ElfFileTests.Read(bytes[..n]);
                foreach (var s in elf.Sections)
                {
                    elf.ReadSectionBytes(s);
                }

                elf.ReadSegmentNotes();
                elf.ReadSymbols();
            }
            catch (DumpFormatException e)
            {
                e.Message.ShouldStartWith("test.elf: ");
                refused++;
            }
        }

        refused.ShouldBeGreaterThan(10);
    }
}
