using System.Buffers.Binary;
using System.Text;
using Kdx.Core.Debug.Dwarf;
using Kdx.Core.Dumps;
using Kdx.Core.Elf;
using Kdx.Core.IO;
using Kdx.Core.Types;
using Kdx.Fuzz.Dwarf;
using Kdx.Tests.Elf;

namespace Kdx.Tests.Debug.Dwarf;

/// <summary>
/// A kernel module's DWARF is relocatable: string offsets and code and data addresses are 0 in the
/// section and filled in by .rela.debug_* entries, the addresses relative to where the module's
/// sections were loaded.
/// </summary>
public class DwarfModuleTests
{
    private const ulong DataMarker = 0x1111_1111_1111_1111;
    private const ulong TextMarker = 0x2222_2222_2222_2222;
    private const ulong BssMarker = 0x3333_3333_3333_3333;
    private const int RelocAbs64 = 1;
    private const int RelocAbs32 = 10;

    private static byte[] Module(out int nameOffsetInStr, int relocType = RelocAbs32, int badSymbol = 0)
    {
        var w = new DwarfWriter(5);
        var u = w.Unit("vmlab.c", "/src/module");
        u.InAranges = false;
        u.Ranges.Add((TextMarker + 0x20, TextMarker + 0x30));
        var i32 = u.BaseType("int", 4, Dw.AteSigned);
        var item = u.Struct("vmlab_item", 8, ("magic", i32, 0), ("id", i32, 4));
        u.Add(Dw.TagVariable).Name("vmlab_items").Type(item).A(Dw.AtLocation, Dw.FormExprloc, DwarfTestKernel.Expr(Dw.OpAddr, DataMarker));
        u.Add(Dw.TagVariable).Name("vmlab_count").Type(i32).A(Dw.AtLocation, Dw.FormExprloc, DwarfTestKernel.Expr(Dw.OpAddr, BssMarker));
        u.Add(Dw.TagSubprogram).Name("vmlab_init").Type(i32).A(Dw.AtLowPc, Dw.FormAddr, TextMarker).A(Dw.AtHighPc, Dw.FormData4, 0x10);
        var lines = new LineProgramWriter();
        lines.Directories.Add("/src/module");
        lines.Files.Add(("vmlab.c", 0));
        lines.Start(TextMarker).Row(TextMarker, 0, 268).Row(TextMarker + 4, 0, 269).End(TextMarker + 0x10);
        u.Lines = lines;
        var s = w.Build();
        var info = s[".debug_info"];
        var line = s[".debug_line"];
        nameOffsetInStr = w.Str.Offset("vmlab_init");

        // Symbols: 1 .text, 2 .data, 3 .debug_str (section symbols), 4 vmlab_count in .bss at 8.
        var strtab = Encoding.ASCII.GetBytes("\0vmlab_count\0");
        var symtab = ElfWriter.Symbols((0, 3, 1, 0, 0), (0, 3, 2, 0, 0), (0, 3, 6, 0, 0), (1, 0x11, 3, 8, 4));
        var infoRela = new List<byte[]>
        {
            Rela(Find(info, DataMarker), RelocAbs64, 2, 0x40),
            Rela(Find(info, BssMarker), RelocAbs64, 4, 0),
            Rela(Find(info, TextMarker + 0x20), RelocAbs64, 1, 0x20), // the unit's low_pc
            Rela(Find(info, TextMarker), RelocAbs64, 1, 0x20),
        };

        // The function's name: a .debug_str offset written by a relocation against the section symbol.
        int nameAt = Find32(info, (uint)nameOffsetInStr, after: Find(info, BssMarker));
        infoRela.Add(Rela(nameAt, relocType, badSymbol == 0 ? 3 : badSymbol, nameOffsetInStr));
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(nameAt), 0);
        foreach (var at in new[] { Find(info, DataMarker), Find(info, BssMarker), Find(info, TextMarker + 0x20), Find(info, TextMarker) })
        {
            BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(at), 0);
        }

        int lineAt = Find(line, TextMarker);
        BinaryPrimitives.WriteUInt64LittleEndian(line.AsSpan(lineAt), 0);
        var elf = new ElfWriter { Type = 1 };
        elf.AddSection(".text", 1, new byte[0x100], flags: 6).AddressAlign = 16;                  // 1
        elf.AddSection(".data", 1, new byte[0x80], flags: 3).AddressAlign = 32;                   // 2
        elf.AddSection(".bss", 8, [], flags: 3).Size = 0x40;                                     // 3
        elf.AddSection(".debug_info", 1, info);                                                  // 4
        elf.AddSection(".debug_abbrev", 1, s[".debug_abbrev"]);                                  // 5
        elf.AddSection(".debug_str", 1, s[".debug_str"]);                                        // 6
        elf.AddSection(".debug_line", 1, line);                                                  // 7
        elf.AddSection(".debug_line_str", 1, s[".debug_line_str"]);                              // 8
        elf.AddSection(".symtab", 2, symtab, link: 10, info: 4, entsize: 24);                    // 9
        elf.AddSection(".strtab", 3, strtab);                                                    // 10
        elf.AddSection(".rela.debug_info", 4, [.. infoRela.SelectMany(r => r)], link: 9, info: 4, entsize: 24);
        elf.AddSection(".rela.debug_line", 4, Rela(lineAt, RelocAbs64, 1, 0x20), link: 9, info: 7, entsize: 24);
        return elf.Build();
    }

    [Fact]
    public void Relocations_put_variables_functions_and_lines_at_the_given_section_addresses()
    {
        using var elf = ElfFile.Read(new MemoryByteSource("vmlab.ko", Module(out _)));
        var at = new Dictionary<string, ulong> { [".text"] = 0xffffffffc0400000, [".data"] = 0xffffffffc0410000, [".bss"] = 0xffffffffc0420000 };
        using var src = DwarfTypeSource.OpenModule(elf, at);
        src.FindType("vmlab_item", TypeKind.Struct)!.Members.Select(m => (m.Name, m.Offset)).ShouldBe([("magic", 0UL), ("id", 4UL)]);
        src.TryGetVariableAddress("vmlab_items", out ulong a).ShouldBeTrue();
        a.ShouldBe(0xffffffffc0410040UL);
        src.TryGetVariableAddress("vmlab_count", out a).ShouldBeTrue();
        a.ShouldBe(0xffffffffc0420008UL);
        src.TryGetFunctionAddress("vmlab_init", out a).ShouldBeTrue(); // found by its relocated name
        a.ShouldBe(0xffffffffc0400020UL);
        src.TryFindLine(0xffffffffc0400024, out var l).ShouldBeTrue();
        l.ShouldBe(new SourceLocation("/src/module/vmlab.c", 269));
    }

    [Fact]
    public void Without_addresses_the_sections_are_laid_out_from_zero()
    {
        using var elf = ElfFile.Read(new MemoryByteSource("vmlab.ko", Module(out _)));
        using var src = DwarfTypeSource.OpenModule(elf);
        src.TryGetFunctionAddress("vmlab_init", out ulong a).ShouldBeTrue();
        a.ShouldBe(0x20UL); // .text first, at 0
        src.TryGetVariableAddress("vmlab_items", out a).ShouldBeTrue();
        a.ShouldBe(0x100UL + 0x40); // .data after the 0x100 bytes of .text, 32-aligned
        src.TryGetVariableAddress("vmlab_count", out a).ShouldBeTrue();
        a.ShouldBe(0x180UL + 8); // .bss after .data
    }

    [Fact]
    public void Bad_relocations_are_errors_naming_the_relocation_section()
    {
        using (var elf = ElfFile.Read(new MemoryByteSource("vmlab.ko", Module(out _, relocType: 42))))
        using (var src = DwarfTypeSource.OpenModule(elf))
        {
            Should.Throw<DumpFormatException>(() => src.FindType("int")).Message.ShouldContain(".rela.debug_info entry 4: relocation type 42 is not supported");
        }

        using (var elf = ElfFile.Read(new MemoryByteSource("vmlab.ko", Module(out _, badSymbol: 99))))
        using (var src = DwarfTypeSource.OpenModule(elf))
        {
            Should.Throw<DumpFormatException>(() => src.FindType("int")).Message.ShouldContain("symbol index 99 is outside the symbol table");
        }
    }

    private static byte[] Rela(int offset, int type, int symbol, long addend)
    {
        var r = new byte[24];
        BinaryPrimitives.WriteUInt64LittleEndian(r, (ulong)offset);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(8), ((ulong)symbol << 32) | (uint)type);
        BinaryPrimitives.WriteInt64LittleEndian(r.AsSpan(16), addend);
        return r;
    }

    private static int Find(byte[] haystack, ulong value)
    {
        var needle = BitConverter.GetBytes(value);
        int at = haystack.AsSpan().IndexOf(needle);
        return at >= 0 ? at : throw new InvalidOperationException($"marker {value:x} not found");
    }

    private static int Find32(byte[] haystack, uint value, int after)
    {
        var needle = BitConverter.GetBytes(value);
        int at = haystack.AsSpan(after).IndexOf(needle);
        return at >= 0 ? after + at : throw new InvalidOperationException($"value {value:x} not found");
    }
}
