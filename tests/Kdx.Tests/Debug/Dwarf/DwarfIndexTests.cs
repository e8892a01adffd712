using Kdx.Core.Debug.Dwarf;
using Kdx.Core.Types;
using Kdx.Fuzz.Dwarf;

namespace Kdx.Tests.Debug.Dwarf;

public class DwarfIndexTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void A_declaration_in_one_unit_finds_the_definition_in_another(int version)
    {
        var w = new DwarfWriter(version);
        var u1 = w.Unit("a.c");
        var fooDecl = u1.Add(Dw.TagStructureType).Name("foo").A(Dw.AtDeclaration, Dw.FormFlagPresent, null);
        var holder = u1.Struct("holder", 8, ("foo", u1.Pointer(fooDecl), 0));
        var u2 = w.Unit("b.c");
        var i32 = u2.BaseType("int", 4, Dw.AteSigned);
        u2.Struct("foo", 8, ("x", i32, 0), ("y", i32, 4));
        using var src = DwarfTestKernel.Source(w);

        var foo = src.FindType("foo", TypeKind.Struct)!;
        foo.IsComplete.ShouldBeTrue();
        foo.Size.ShouldBe(8UL);
        var pointee = src.FindType("holder", TypeKind.Struct)!.Members[0].Type.Type.Target!.Value.Type;
        pointee.ShouldBeSameAs(foo);
    }

    [Fact]
    public void A_declaration_with_no_definition_anywhere_stays_incomplete()
    {
        var w = new DwarfWriter();
        var u = w.Unit();
        u.Add(Dw.TagStructureType).Name("opaque").A(Dw.AtDeclaration, Dw.FormFlag, 1);
        u.Add(Dw.TagEnumerationType).Name("later").A(Dw.AtDeclaration, Dw.FormFlagPresent, null);
        using var src = DwarfTestKernel.Source(w);
        var opaque = src.FindType("opaque", TypeKind.Struct)!;
        opaque.IsComplete.ShouldBeFalse();
        opaque.Members.ShouldBeEmpty();
        src.FindType("later", TypeKind.Enum)!.IsComplete.ShouldBeFalse();
    }

    [Fact]
    public void Variables_prefer_the_definition_with_a_location_and_functions_the_one_with_code()
    {
        var w = new DwarfWriter();
        var u1 = w.Unit("user.c");
        var i32 = u1.BaseType("int", 4, Dw.AteSigned);
        u1.Add(Dw.TagVariable).Name("jiffies").Type(i32).A(Dw.AtExternal, Dw.FormFlagPresent, null).A(Dw.AtDeclaration, Dw.FormFlagPresent, null);
        u1.Add(Dw.TagSubprogram).Name("schedule").A(Dw.AtExternal, Dw.FormFlagPresent, null).A(Dw.AtDeclaration, Dw.FormFlagPresent, null);
        var u2 = w.Unit("time.c");
        var u64 = u2.BaseType("long long unsigned int", 8, Dw.AteUnsigned);

        // The definition names its declaration (DW_AT_specification) and has no name of its own.
        var decl = u2.Add(Dw.TagVariable).Name("jiffies").Type(u64).A(Dw.AtExternal, Dw.FormFlagPresent, null).A(Dw.AtDeclaration, Dw.FormFlagPresent, null);
        u2.Add(Dw.TagVariable).A(Dw.AtSpecification, Dw.FormRef4, decl).A(Dw.AtLocation, Dw.FormExprloc, DwarfTestKernel.Expr(Dw.OpAddr, 0xffffffff82001000));

        // An abstract instance and its out-of-line copy (DW_AT_abstract_origin).
        var abstractFn = u2.Add(Dw.TagSubprogram).Name("schedule").A(Dw.AtExternal, Dw.FormFlagPresent, null).A(Dw.AtInline, Dw.FormData1, 3).Type(u64);
        abstractFn.Add(Dw.TagFormalParameter).Name("now").Type(u64);
        var concrete = u2.Add(Dw.TagSubprogram).A(Dw.AtAbstractOrigin, Dw.FormRef4, abstractFn).A(Dw.AtLowPc, Dw.FormAddr, 0xffffffff81002000UL).A(Dw.AtHighPc, Dw.FormData4, 16);
        concrete.Add(Dw.TagFormalParameter).A(Dw.AtAbstractOrigin, Dw.FormRef4, abstractFn.Children[0]);
        using var src = DwarfTestKernel.Source(w);

        src.FindVariableType("jiffies")!.Value.Type.Name.ShouldBe("long long unsigned int");
        src.TryGetVariableAddress("jiffies", out ulong address).ShouldBeTrue();
        address.ShouldBe(0xffffffff82001000UL);
        src.TryGetFunctionAddress("schedule", out address).ShouldBeTrue();
        address.ShouldBe(0xffffffff81002000UL);
        var fn = src.FindFunctionType("schedule")!;
        fn.Target!.Value.Type.Name.ShouldBe("long long unsigned int");
        fn.Parameters.ShouldHaveSingleItem().Name.ShouldBe("now");
    }

    [Fact]
    public void Short_inline_long_inline_and_indexed_names_are_all_found()
    {
        var w = new DwarfWriter(5);
        var u1 = w.Unit("a.c");
        var i32 = u1.BaseType("int", 4, Dw.AteSigned);
        u1.Add(Dw.TagTypedef).A(Dw.AtName, Dw.FormString, "u8").Type(i32);
        u1.Add(Dw.TagTypedef).A(Dw.AtName, Dw.FormString, "a_rather_long_inline_name").Type(i32);
        u1.Add(Dw.TagTypedef).A(Dw.AtName, Dw.FormStrx1, "from_strx").Type(i32);
        u1.Add(Dw.TagTypedef).A(Dw.AtName, Dw.FormLineStrp, "from_line_strp").Type(i32);
        var u2 = w.Unit("b.c");
        var c = u2.BaseType("char", 1, Dw.AteSignedChar);
        u2.Add(Dw.TagTypedef).A(Dw.AtName, Dw.FormString, "u8").Type(c); // the same short name again, later: not preferred
        u2.Add(Dw.TagTypedef).A(Dw.AtName, Dw.FormString, "a_rather_long_inline_name").Type(c);
        using var src = DwarfTestKernel.Source(w);
        foreach (var name in (string[])["u8", "a_rather_long_inline_name", "from_strx", "from_line_strp"])
        {
            src.FindType(name)!.Target!.Value.Type.Name.ShouldBe("int", name);
        }
    }

    [Fact]
    public void The_index_is_the_same_with_one_thread_or_many()
    {
        var w = new DwarfWriter();
        for (int i = 0; i < 40; i++)
        {
            var u = w.Unit($"f{i}.c");
            var t = u.BaseType("int", 4, Dw.AteSigned);
            u.Struct("shared", 4 + (i % 3), ("x", t, 0));
            u.Struct($"only_{i}", 4, ("x", t, 0));
            u.Add(Dw.TagVariable).Name("counter").Type(t).A(Dw.AtLocation, Dw.FormExprloc, DwarfTestKernel.Expr(Dw.OpAddr, 0x1000 + (ulong)i));
        }

        var sections = w.Build();
        using var one = DwarfTypeSource.FromSections("t", sections, new DwarfOptions { MaxThreads = 1 });
        using var many = DwarfTypeSource.FromSections("t", sections, new DwarfOptions { MaxThreads = 8 });
        one.TypeNames(TypeKind.Struct).ShouldBe(many.TypeNames(TypeKind.Struct));
        one.FindType("shared", TypeKind.Struct)!.Size.ShouldBe(4UL); // the first unit's
        many.FindType("shared", TypeKind.Struct)!.Size.ShouldBe(4UL);
        one.TryGetVariableAddress("counter", out ulong a1).ShouldBeTrue();
        many.TryGetVariableAddress("counter", out ulong a2).ShouldBeTrue();
        a1.ShouldBe(0x1000UL);
        a2.ShouldBe(a1);
        many.IndexDescription.ShouldStartWith("scanned 40 units");
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Types_in_type_units_are_reached_by_signature(int version)
    {
        var w = new DwarfWriter(version);
        var tu = w.TypeUnit(0x1234_5678_9abc_def0);
        var i32 = tu.BaseType("int", 4, Dw.AteSigned);
        tu.TypeDie = tu.Struct("sig_struct", 4, ("v", i32, 0));
        var u = w.Unit();
        u.Add(Dw.TagVariable).Name("uses_sig").A(Dw.AtType, Dw.FormRefSig8, 0x1234_5678_9abc_def0UL);
        u.Add(Dw.TagVariable).Name("bad_sig").A(Dw.AtType, Dw.FormRefSig8, 0x1111UL);
        using var src = DwarfTestKernel.Source(w);
        var t = src.FindVariableType("uses_sig")!.Value.Type;
        t.Name.ShouldBe("sig_struct");
        t.Members.ShouldHaveSingleItem().Name.ShouldBe("v");
        src.FindType("sig_struct", TypeKind.Struct).ShouldBeSameAs(t);
        Should.Throw<Kdx.Core.Dumps.DumpFormatException>(() => src.FindVariableType("bad_sig")).Message.ShouldContain("no type unit has signature");
    }

    [Fact]
    public void Base_type_spellings_map_to_gcc_names()
    {
        BaseTypeNames.GccSpelling("unsigned long").ShouldBe("long unsigned int");
        BaseTypeNames.GccSpelling("long").ShouldBe("long int");
        BaseTypeNames.GccSpelling("unsigned").ShouldBe("unsigned int");
        BaseTypeNames.GccSpelling("signed").ShouldBe("int");
        BaseTypeNames.GccSpelling("short unsigned").ShouldBe("short unsigned int");
        BaseTypeNames.GccSpelling("unsigned long long int").ShouldBe("long long unsigned int");
        BaseTypeNames.GccSpelling("signed char").ShouldBe("signed char");
        BaseTypeNames.GccSpelling("char").ShouldBe("char");
        BaseTypeNames.GccSpelling("long long long").ShouldBeNull();
        BaseTypeNames.GccSpelling("unsigned signed").ShouldBeNull();
        BaseTypeNames.GccSpelling("long char").ShouldBeNull();
        BaseTypeNames.GccSpelling("struct foo").ShouldBeNull();
    }
}
