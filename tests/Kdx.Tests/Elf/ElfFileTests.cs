using System.IO.Compression;
using Kdx.Core.Dumps;
using Kdx.Core.Elf;
using Kdx.Core.IO;

namespace Kdx.Tests.Elf;

public class ElfFileTests
{
    internal static ElfFile Read(byte[] bytes, ParseLimits? limits = null) =>
        ElfFile.Read(new MemoryByteSource("test.elf", bytes), limits);

    [Fact]
    public void Reads_every_file_header_field()
    {
        var w = new ElfWriter { Type = 2, Machine = 62, Version = 1, Entry = 0x1000000, Flags = 0x42 };
        w.Ident[7] = 3;
        w.Ident[8] = 5;
        w.AddSegment(1, [1, 2, 3]);
        w.AddSection(".text", 1, [0x90], flags: 6, addr: 0xffffffff81000000);
        using var elf = Read(w.Build());

        var h = elf.Header;
        h.Class.ShouldBe((byte)2);
        h.Data.ShouldBe((byte)1);
        h.IdentVersion.ShouldBe((byte)1);
        h.OsAbi.ShouldBe((byte)3);
        h.AbiVersion.ShouldBe((byte)5);
        h.Type.ShouldBe((ushort)2);
        h.Machine.ShouldBe((ushort)62);
        h.Version.ShouldBe(1u);
        h.Entry.ShouldBe(0x1000000UL);
        h.Flags.ShouldBe(0x42u);
        h.HeaderSize.ShouldBe((ushort)64);
        h.ProgramHeaderOffset.ShouldBe((ulong)w.ProgramHeaderOffset);
        h.SectionHeaderOffset.ShouldBe((ulong)w.SectionHeaderOffset);
        h.ProgramHeaderEntrySize.ShouldBe((ushort)56);
        h.ProgramHeaderCountField.ShouldBe((ushort)1);
        h.ProgramHeaderCount.ShouldBe(1);
        h.SectionHeaderEntrySize.ShouldBe((ushort)64);
        h.SectionHeaderCountField.ShouldBe((ushort)3);
        h.SectionHeaderCount.ShouldBe(3);
        h.SectionNameIndexField.ShouldBe((ushort)2);
        h.SectionNameIndex.ShouldBe(2);
        elf.Name.ShouldBe("test.elf");
    }

    [Fact]
    public void Reads_every_program_header_field()
    {
        var w = new ElfWriter();
        var s = w.AddSegment(1, new byte[16], paddr: 0x1000, vaddr: 0xffff888000001000, memsz: 0x2000, flags: 5);
        s.Align = 4096;
        w.AddSegment(4, new byte[4]);
        using var elf = Read(w.Build());

        elf.ProgramHeaders.Count.ShouldBe(2);
        var p = elf.ProgramHeaders[0];
        p.Index.ShouldBe(0);
        p.Type.ShouldBe(1u);
        p.IsLoad.ShouldBeTrue();
        p.IsNote.ShouldBeFalse();
        p.Flags.ShouldBe(5u);
        p.Offset.ShouldBe((ulong)s.AssignedOffset);
        p.VirtualAddress.ShouldBe(0xffff888000001000);
        p.PhysicalAddress.ShouldBe(0x1000UL);
        p.FileSize.ShouldBe(16UL);
        p.MemorySize.ShouldBe(0x2000UL);
        p.Align.ShouldBe(4096UL);
        elf.ProgramHeaders[1].IsNote.ShouldBeTrue();
        elf.ProgramHeaders[1].Index.ShouldBe(1);
    }

    [Fact]
    public void Reads_sections_with_names_and_contents()
    {
        var w = new ElfWriter { Type = 2 };
        var text = w.AddSection(".text", 1, [0x90, 0xc3], flags: 6, addr: 0xffffffff81000000);
        text.AddressAlign = 4096;
        text.EntrySize = 3;
        text.Link = 7;
        text.Info = 9;
        var bss = w.AddSection(".bss", 8, [], flags: 3, addr: 0xffffffff82000000);
        bss.Size = 0x1000;
        using var elf = Read(w.Build());

        elf.Sections.Count.ShouldBe(4);
        elf.Sections[0].Name.ShouldBe("");
        elf.Sections[0].HasContents.ShouldBeFalse();
        var t = elf.FindSection(".text").ShouldNotBeNull();
        t.Index.ShouldBe(1);
        t.Type.ShouldBe(1u);
        t.Flags.ShouldBe(6UL);
        t.IsAlloc.ShouldBeTrue();
        t.IsCompressed.ShouldBeFalse();
        t.Address.ShouldBe(0xffffffff81000000);
        t.Offset.ShouldBe((ulong)text.AssignedOffset);
        t.Size.ShouldBe(2UL);
        t.Link.ShouldBe(7u);
        t.Info.ShouldBe(9u);
        t.AddressAlign.ShouldBe(4096UL);
        t.EntrySize.ShouldBe(3UL);
        t.NameOffset.ShouldBe(1u);
        elf.ReadSectionBytes(t).ShouldBe(new byte[] { 0x90, 0xc3 });
        elf.TryGetSectionSpan(t, out var span).ShouldBeTrue();
        span.ToArray().ShouldBe(new byte[] { 0x90, 0xc3 });
        using (var sub = elf.OpenSection(t))
        {
            sub.Length.ShouldBe(2);
        }

        var b = elf.FindSection(".bss").ShouldNotBeNull();
        b.HasContents.ShouldBeFalse();
        elf.ReadSectionBytes(b).ShouldBeEmpty();
        elf.TryGetSectionSpan(b, out _).ShouldBeFalse();
        elf.OpenSection(b).Length.ShouldBe(0);
        elf.FindSection(".shstrtab").ShouldNotBeNull().Type.ShouldBe(3u);
        elf.FindSection(".nothing").ShouldBeNull();
    }

    [Fact]
    public void Extended_numbering_takes_counts_from_section_0()
    {
        var w = new ElfWriter { UseXnum = true, ShnumInSection0 = true, ShstrndxInSection0 = true };
        for (int i = 0; i < 3; i++)
        {
            w.AddSegment(1, [(byte)i], paddr: (ulong)i * 0x1000);
        }

        w.AddSection(".data", 1, [1]);
        using var elf = Read(w.Build());

        elf.Header.ProgramHeaderCountField.ShouldBe((ushort)0xffff);
        elf.Header.ProgramHeaderCount.ShouldBe(3);
        elf.ProgramHeaders.Count.ShouldBe(3);
        elf.Header.SectionHeaderCountField.ShouldBe((ushort)0);
        elf.Header.SectionHeaderCount.ShouldBe(3);
        elf.Header.SectionNameIndexField.ShouldBe((ushort)0xffff);
        elf.Header.SectionNameIndex.ShouldBe(2);
        elf.FindSection(".data").ShouldNotBeNull();
    }

    [Fact]
    public void Qemu_7_2_layout_with_section_headers_first_and_a_short_ehsize_is_read()
    {
        var w = new ElfWriter { SectionHeadersFirst = true, EhSize = 8, UseXnum = true };
        w.AddSegment(4, new byte[8]);
        w.AddSegment(1, [9, 9], paddr: 0x1000);
        using var elf = Read(w.Build());

        elf.Header.HeaderSize.ShouldBe((ushort)8);
        elf.Header.SectionHeaderOffset.ShouldBe(64UL);
        elf.Header.ProgramHeaderOffset.ShouldBeGreaterThan(64UL);
        elf.ProgramHeaders.Count.ShouldBe(2);
        elf.ProgramHeaders[1].PhysicalAddress.ShouldBe(0x1000UL);
    }

    [Fact]
    public void Zlib_compressed_sections_are_inflated()
    {
        var plain = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        using var elf = Read(WithCompressedSection(1, Zlib(plain), (ulong)plain.Length));
        var s = elf.FindSection(".debug_info").ShouldNotBeNull();
        s.IsCompressed.ShouldBeTrue();
        elf.ReadSectionBytes(s).ShouldBe(plain);
        elf.TryGetSectionSpan(s, out _).ShouldBeFalse();
        elf.OpenSection(s).Length.ShouldBe(plain.Length);
    }

    [Fact]
    public void Zstd_compressed_sections_are_decompressed()
    {
        var plain = Enumerable.Range(0, 5000).Select(i => (byte)(i % 13)).ToArray();
        using var z = new ZstdSharp.Compressor();
        using var elf = Read(WithCompressedSection(2, z.Wrap(plain).ToArray(), (ulong)plain.Length));
        elf.ReadSectionBytes(elf.FindSection(".debug_info")!).ShouldBe(plain);
    }

    [Theory]
    [InlineData(1, 4999, "decompresses to more than")]
    [InlineData(1, 5001, "decompresses to 5000 bytes, but its Elf64_Chdr says 5001")]
    [InlineData(2, 4999, "decompresses to more than")]
    [InlineData(2, 5001, "decompresses to 5000 bytes, but its Elf64_Chdr says 5001")]
    public void A_compressed_section_of_the_wrong_size_is_an_error(uint type, ulong claimed, string message)
    {
        var plain = new byte[5000];
        using var zs = new ZstdSharp.Compressor();
        byte[] data = type == 1 ? Zlib(plain) : zs.Wrap(plain).ToArray();
        using var elf = Read(WithCompressedSection(type, data, claimed));
        var e = Should.Throw<DumpFormatException>(() => elf.ReadSectionBytes(elf.FindSection(".debug_info")!));
        e.Message.ShouldContain(message);
        e.Message.ShouldContain("section [1] .debug_info");
    }

    [Fact]
    public void A_zlib_stream_longer_than_ch_size_is_an_error()
    {
        using var elf = Read(WithCompressedSection(1, Zlib(new byte[100]), 99));
        Should.Throw<DumpFormatException>(() => elf.ReadSectionBytes(elf.FindSection(".debug_info")!))
            .Message.ShouldContain("decompresses to more than the 99 bytes its Elf64_Chdr says");
    }

    [Theory]
    [InlineData(1, "corrupt zlib data")]
    [InlineData(2, "corrupt zstd data")]
    public void Corrupt_compressed_data_is_an_error(uint type, string message)
    {
        using var elf = Read(WithCompressedSection(type, [0x78, 0x9c, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6], 100));
        Should.Throw<DumpFormatException>(() => elf.ReadSectionBytes(elf.FindSection(".debug_info")!)).Message.ShouldContain(message);
    }

    [Fact]
    public void An_unknown_compression_type_is_an_error()
    {
        using var elf = Read(WithCompressedSection(7, [1, 2, 3], 3));
        Should.Throw<DumpFormatException>(() => elf.ReadSectionBytes(elf.FindSection(".debug_info")!))
            .Message.ShouldContain("compression type 7, which is not supported");
    }

    [Fact]
    public void A_compressed_section_larger_than_the_limit_is_refused_before_allocating()
    {
        using var elf = Read(WithCompressedSection(1, Zlib(new byte[10]), 1UL << 40));
        Should.Throw<DumpFormatException>(() => elf.ReadSectionBytes(elf.FindSection(".debug_info")!))
            .Message.ShouldContain("more than the limit");
    }

    [Fact]
    public void A_compressed_section_too_short_for_its_header_is_an_error()
    {
        var w = new ElfWriter { Type = 1 };
        w.AddSection(".debug_info", 1, new byte[10], flags: 0x800);
        using var elf = Read(w.Build());
        Should.Throw<DumpFormatException>(() => elf.ReadSectionBytes(elf.FindSection(".debug_info")!))
            .Message.ShouldContain("less than its Elf64_Chdr");
    }

    [Fact]
    public void A_section_beyond_the_end_of_the_file_is_an_error_naming_it()
    {
        var w = new ElfWriter { Type = 2 };
        var s = w.AddSection(".data", 1, new byte[8]);
        s.Size = 1 << 20;
        using var elf = Read(w.Build());
        var d = elf.FindSection(".data")!;
        var e = Should.Throw<DumpFormatException>(() => elf.ReadSectionBytes(d));
        e.Message.ShouldContain("section [1] .data");
        e.Message.ShouldContain("file truncated");
        Should.Throw<DumpFormatException>(() => elf.TryGetSectionSpan(d, out _));
        Should.Throw<DumpFormatException>(() => elf.OpenSection(d));
    }

    [Fact]
    public void A_section_larger_than_the_limit_is_refused()
    {
        var w = new ElfWriter { Type = 2 };
        w.AddSection(".data", 1, new byte[64]);
        using var elf = Read(w.Build(), ParseLimits.Default with { MaxSectionBytes = 32 });
        Should.Throw<DumpFormatException>(() => elf.ReadSectionBytes(elf.FindSection(".data")!)).Message.ShouldContain("more than the limit of 32");
    }

    [Fact]
    public void Notes_are_read_from_segments_and_sections()
    {
        var notes = ElfWriter.Note("CORE", 1, [1, 2, 3, 4]).Concat(ElfWriter.Note("VMCOREINFO", 0, "A=1\n"u8.ToArray())).ToArray();
        var w = new ElfWriter();
        w.AddSegment(4, notes);
        w.AddSegment(4, ElfWriter.Note("QEMU", 0, [5]));
        w.AddSection(".notes", 7, ElfWriter.Note("GNU", 3, [0xab, 0xcd]));
        var bytes = w.Build();
        using var elf = Read(bytes);

        var first = elf.ReadNotes(elf.ProgramHeaders[0]);
        first.Select(n => n.Name).ShouldBe(["CORE", "VMCOREINFO"]);
        first[0].NameSize.ShouldBe(5u);
        first[0].FileOffset.ShouldBe((long)elf.ProgramHeaders[0].Offset);
        first[1].NameSize.ShouldBe(11u);
        elf.ReadSegmentNotes().Select(n => n.Name).ShouldBe(["CORE", "VMCOREINFO", "QEMU"]);
        var gnu = elf.ReadNotes(elf.FindSection(".notes")!).ShouldHaveSingleItem();
        gnu.Name.ShouldBe("GNU");
        gnu.Type.ShouldBe(3u);
        gnu.Descriptor.ToArray().ShouldBe(new byte[] { 0xab, 0xcd });
    }

    [Fact]
    public void Notes_over_the_limit_are_refused()
    {
        var w = new ElfWriter();
        w.AddSegment(4, ElfWriter.Note("CORE", 1, new byte[100]));
        w.AddSegment(4, ElfWriter.Note("CORE", 1, new byte[100]));
        using var elf = Read(w.Build(), ParseLimits.Default with { MaxNoteBytes = 150 });
        elf.ReadNotes(elf.ProgramHeaders[0]).Count.ShouldBe(1);
        Should.Throw<DumpFormatException>(() => elf.ReadSegmentNotes()).Message.ShouldContain("more than the limit of 150 bytes of notes");

        using var small = Read(w.Build(), ParseLimits.Default with { MaxNoteBytes = 50 });
        Should.Throw<DumpFormatException>(() => small.ReadNotes(small.ProgramHeaders[0])).Message.ShouldContain("more than the limit of 50");
    }

    [Fact]
    public void A_note_segment_past_the_end_of_the_file_is_an_error()
    {
        var w = new ElfWriter();
        var n = w.AddSegment(4, ElfWriter.Note("CORE", 1, new byte[8]));
        n.FileSize = 4096;
        using var elf = Read(w.Build());
        var e = Should.Throw<DumpFormatException>(() => elf.ReadSegmentNotes());
        e.Message.ShouldContain("PT_NOTE segment (program header 0)");
        e.Message.ShouldContain("file truncated");
    }

    [Fact]
    public void Open_maps_a_file_and_owns_it()
    {
        var w = new ElfWriter { Type = 2 };
        w.AddSection(".text", 1, [1, 2, 3], flags: 6);
        var path = Path.Combine(Path.GetTempPath(), $"kdx-elf-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(path, w.Build());
        try
        {
            using (var elf = ElfFile.Open(path))
            {
                elf.Name.ShouldBe(path);
                elf.TryGetSectionSpan(elf.FindSection(".text")!, out var span).ShouldBeTrue();
                span.ToArray().ShouldBe(new byte[] { 1, 2, 3 });
            }

            File.WriteAllBytes(path, [1, 2, 3]);
            Should.Throw<DumpFormatException>(() => ElfFile.Open(path)).Message.ShouldContain("not an ELF file");
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static byte[] WithCompressedSection(uint type, byte[] data, ulong size)
    {
        var chdr = new byte[24];
        ElfWriter.W32(chdr, 0, type);
        ElfWriter.W64(chdr, 8, size);
        ElfWriter.W64(chdr, 16, 1);
        var w = new ElfWriter { Type = 1 };
        w.AddSection(".debug_info", 1, [.. chdr, .. data], flags: 0x800);
        return w.Build();
    }

    internal static byte[] Zlib(byte[] plain)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(plain);
        }

        return ms.ToArray();
    }
}
