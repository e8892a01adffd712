using Kdx.Core.Debug.Dwarf;
using Kdx.Core.Dumps;
using Kdx.Core.Types;
using Kdx.Fuzz.Dwarf;

namespace Kdx.Tests.Debug.Dwarf;

/// <summary>Corrupt DWARF gives clear errors or warnings naming the section and offset; never a hang or a crash.</summary>
public class DwarfHostileTests
{
    private static (DwarfWriter Writer, UnitWriter Unit, DieNode Int) OneUnit()
    {
        var w = new DwarfWriter();
        var u = w.Unit();
        var i = u.BaseType("int", 4, Dw.AteSigned);
        return (w, u, i);
    }

    private static DwarfTypeSource Source(Dictionary<string, byte[]> sections) =>
        DwarfTypeSource.FromSections("bad", sections, new DwarfOptions { MaxThreads = 1 });

    [Fact]
    public void An_undefined_abbreviation_code_leaves_its_unit_out_with_a_warning()
    {
        var (w, u, _) = OneUnit();
        var good = w.Unit("good.c");
        good.Struct("fine", 4, ("x", good.BaseType("long int", 8, Dw.AteSigned), 0));
        var s = w.Build();
        var info = s[".debug_info"];
        int at = u.Root.Children[0].Offset;
        info[at] = 0x7f; // no abbreviation 127 in the table
        using var src = Source(s);
        src.FindType("int").ShouldBeNull();
        src.FindType("fine", TypeKind.Struct).ShouldNotBeNull();
        src.Warnings.ShouldHaveSingleItem().ShouldContain("abbreviation code 127");
        src.Warnings[0].ShouldContain(".debug_info offset 0x");
    }

    [Fact]
    public void Unit_headers_with_absurd_lengths_or_versions_stop_the_unit_list()
    {
        foreach (var (patch, message) in new (Action<byte[]>, string)[]
        {
            (b => BitConverter.GetBytes(0x7fff_fff0u).CopyTo(b, 0), "runs past the end of the section"),
            (b => BitConverter.GetBytes(0xffff_fff5u).CopyTo(b, 0), "reserved value"),
            (b => BitConverter.GetBytes((ushort)9).CopyTo(b, 4), "version 9 is not supported"),
            (b => b[6] = 9, "unknown unit type 0x9"),
            (b => b[7] = 3, "address size 3"),
        })
        {
            var (w, _, _) = OneUnit();
            var s = w.Build();
            patch(s[".debug_info"]);
            using var src = Source(s);
            src.FindType("int").ShouldBeNull();
            src.Warnings.ShouldHaveSingleItem().ShouldContain(message);
        }
    }

    [Fact]
    public void A_value_that_runs_past_the_section_is_an_error_not_an_exception_of_another_kind()
    {
        var (w, u, _) = OneUnit();
        u.Add(Dw.TagVariable).Name("v").A(Dw.AtLocation, Dw.FormBlock4, new byte[] { 1, 2, 3 });
        var s = w.Build();
        var die = u.Root.Children[^1];
        var info = s[".debug_info"];

        // The block's 4-byte length sits after the code and the strp name.
        BitConverter.GetBytes(0x7000_0000u).CopyTo(info, die.Offset + 1 + 4);
        using var src = Source(s);
        src.FindVariableType("v").ShouldBeNull();
        src.Warnings.ShouldHaveSingleItem().ShouldContain("runs past the end");
    }

    [Fact]
    public void Unknown_forms_in_an_abbreviation_are_reported()
    {
        var (w, _, _) = OneUnit();
        var s = w.Build();
        var abbrev = s[".debug_abbrev"];

        // The base type's abbreviation: code, tag, children, then (name, form) pairs; make a form 0x7e.
        int i = Array.IndexOf(abbrev, (byte)Dw.TagBaseType);
        int formAt = i + 3;
        abbrev[formAt] = 0x7e;
        using var src = Source(s);
        src.FindType("int").ShouldBeNull();
        src.Warnings.ShouldHaveSingleItem().ShouldContain("unknown form 0x7e");
    }

    [Fact]
    public void Type_reference_loops_are_errors()
    {
        var (w, u, _) = OneUnit();
        var loop = u.Add(Dw.TagTypedef).Name("loop");
        loop.Type(loop);
        var c1 = u.Add(Dw.TagConstType);
        var c2 = u.Add(Dw.TagVolatileType).Type(c1);
        c1.Type(c2);
        u.Add(Dw.TagVariable).Name("spun").Type(c1);
        using var src = DwarfTestKernel.Source(w);
        Should.Throw<DumpFormatException>(() => src.FindType("loop")).Message.ShouldContain("loop of type references");
        Should.Throw<DumpFormatException>(() => src.FindVariableType("spun")).Message.ShouldContain("loop of type references");
    }

    [Fact]
    public void Specification_loops_leave_the_name_unindexed()
    {
        var (w, u, i) = OneUnit();
        var a = u.Add(Dw.TagVariable);
        var b = u.Add(Dw.TagVariable).A(Dw.AtSpecification, Dw.FormRef4, a);
        a.A(Dw.AtSpecification, Dw.FormRef4, b);
        u.Add(Dw.TagVariable).Name("fine").Type(i);
        using var src = DwarfTestKernel.Source(w);
        src.VariableNames().ShouldBe(["fine"]);
    }

    [Fact]
    public void Array_bounds_in_unsigned_data_forms_are_not_sign_extended()
    {
        // u8 fill[168]: GCC writes upper bound 167 as DW_FORM_data1 (0xa7, -89 if sign-extended);
        // a zero-length array's bound -1 comes as sdata or as a full data8.
        var (w, u, i) = OneUnit();
        var uchr = u.BaseType("unsigned char", 1, Dw.AteUnsignedChar);
        var fill = u.Add(Dw.TagArrayType).Type(uchr);
        fill.Add(Dw.TagSubrangeType).Type(i).A(Dw.AtUpperBound, Dw.FormData1, 167);
        var wide = u.Add(Dw.TagArrayType).Type(uchr);
        wide.Add(Dw.TagSubrangeType).Type(i).A(Dw.AtUpperBound, Dw.FormData2, 40000);
        var none = u.Add(Dw.TagArrayType).Type(i);
        none.Add(Dw.TagSubrangeType).Type(i).A(Dw.AtUpperBound, Dw.FormSdata, -1L);
        var none8 = u.Add(Dw.TagArrayType).Type(i);
        none8.Add(Dw.TagSubrangeType).Type(i).A(Dw.AtUpperBound, Dw.FormData8, -1L);
        u.Struct("obj", 40169, ("fill", fill, 0), ("wide", wide, 168), ("none", none, 40169), ("none8", none8, 40169));
        using var src = DwarfTestKernel.Source(w);
        var obj = src.FindType("obj", TypeKind.Struct)!;
        obj.Members.Select(m => m.Type.Type.Length).ShouldBe([168UL, 40001UL, 0UL, 0UL]);
    }

    [Fact]
    public void Siblings_that_point_backwards_or_at_themselves_are_not_followed()
    {
        var (w, u, i) = OneUnit();
        w.AutoSibling = false;
        var first = u.Struct("first", 4, ("x", i, 0));
        first.A(Dw.AtSibling, Dw.FormRef4, first); // itself
        var second = u.Struct("second", 4, ("y", i, 0));
        second.A(Dw.AtSibling, Dw.FormRef4, i); // backwards
        var third = u.Struct("third", 4, ("z", i, 0));
        third.A(Dw.AtSibling, Dw.FormRef4, 0x7fffffffL); // past the unit
        using var src = DwarfTestKernel.Source(w);
        src.TypeNames(TypeKind.Struct).ShouldBe(["first", "second", "third"]);
        src.FindType("third", TypeKind.Struct)!.Members.ShouldHaveSingleItem().Name.ShouldBe("z");
    }

    [Fact]
    public void Deeply_nested_dies_are_skipped_without_recursion()
    {
        var (w, u, i) = OneUnit();
        w.AutoSibling = false;
        var fn = u.Add(Dw.TagSubprogram).Name("deep");
        var block = fn;
        for (int d = 0; d < 20000; d++)
        {
            block = block.Add(Dw.TagLexicalBlock);
        }

        u.Add(Dw.TagVariable).Name("after").Type(i);

        // The test writer recurses over the tree; give it a big stack. The reader must not need one.
        Dictionary<string, byte[]>? sections = null;
        var writer = new Thread(() => sections = w.Build(), 512 << 20);
        writer.Start();
        writer.Join();
        using var src = Source(sections!);
        src.FindVariableType("after")!.Value.Type.Name.ShouldBe("int");
        src.FindFunctionType("deep")!.Parameters.ShouldBeEmpty();
    }

    [Fact]
    public void String_and_address_indexes_out_of_range_name_their_table()
    {
        var w = new DwarfWriter(5);
        var u = w.Unit();
        u.Add(Dw.TagBaseType).A(Dw.AtName, Dw.FormStrx1, "int").Size(4).A(Dw.AtEncoding, Dw.FormData1, Dw.AteSigned);
        w.Unit("other.c").Add(Dw.TagVariable).Name("v").A(Dw.AtLocation, Dw.FormExprloc, new byte[] { Dw.OpAddrx, 0x40 });
        var s = w.Build();
        var info = s[".debug_info"];
        info[u.Root.Children[0].Offset + 1] = 200; // strx1 index 200: the table has one entry
        using var src = Source(s);
        src.FindType("int").ShouldBeNull();
        src.Warnings.ShouldHaveSingleItem().ShouldContain(".debug_str_offsets");
        Should.Throw<DumpFormatException>(() => src.TryGetVariableAddress("v", out _)).Message.ShouldContain(".debug_addr");
    }

    [Fact]
    public void Children_that_never_end_are_an_error()
    {
        var (w, u, _) = OneUnit();
        var s = w.Build();
        var info = s[".debug_info"];

        // Drop the unit's final null entries by making the unit end one byte early.
        int length = BitConverter.ToInt32(info, 0);
        BitConverter.GetBytes(length - 1).CopyTo(info, 0);
        s[".debug_info"] = info[..^1];
        using var src = Source(s);
        src.FindType("int").ShouldNotBeNull(); // read before the damage
        src.Warnings.ShouldHaveSingleItem().ShouldContain("no null entry");
    }

    [Fact]
    public void Corrupt_line_program_headers_are_errors()
    {
        foreach (var (offset, value, message) in new (int, byte, string)[] { (4, 9, "version 9"), (12 + 4, 0, "line_range is 0"), (12 + 5, 0, "opcode_base is 0") })
        {
            var w = new DwarfWriter(5);
            DwarfTestKernel.AddTypes(w);
            var s = w.Build();
            s[".debug_line"][offset] = value;
            using var src = Source(s);
            Should.Throw<DumpFormatException>(() => src.TryFindLine(0xffffffff81000100, out _)).Message.ShouldContain(message);
        }
    }

    [Fact]
    public void Truncated_sections_anywhere_never_escape_with_another_exception()
    {
        var w = new DwarfWriter(5);
        DwarfTestKernel.AddTypes(w);
        var full = w.Build();
        foreach (var name in full.Keys)
        {
            for (int cut = 0; cut < full[name].Length; cut += Math.Max(1, full[name].Length / 40))
            {
                var s = new Dictionary<string, byte[]>(full) { [name] = full[name][..cut] };
                using var src = Source(s);
                try
                {
                    foreach (var t in src.TypeNames(TypeKind.Struct))
                    {
                        _ = src.FindType(t, TypeKind.Struct)?.Members.Select(m => m.Type.ToString()).ToList();
                    }

                    _ = src.FindFunctionType("do_work")?.ToString();
                    _ = src.TryFindLine(0xffffffff81000110, out _);
                    _ = src.FindVariableLocation("init_list");
                }
                catch (DumpFormatException)
                {
                    // the documented answer to a damaged file
                }
            }
        }
    }
}
