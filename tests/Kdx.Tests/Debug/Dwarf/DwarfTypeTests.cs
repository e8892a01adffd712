using Kdx.Core.Types;
using Kdx.Fuzz.Dwarf;

namespace Kdx.Tests.Debug.Dwarf;

public class DwarfTypeTests
{
    public static TheoryData<int, bool> Encodings => DwarfTestKernel.Encodings;

    private static Kdx.Core.Debug.Dwarf.DwarfTypeSource Kernel(int version, bool dwarf64)
    {
        var w = new DwarfWriter(version, dwarf64);
        DwarfTestKernel.AddTypes(w);
        return DwarfTestKernel.Source(w);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Base_types_keep_their_names_sizes_and_signedness(int version, bool dwarf64)
    {
        using var src = Kernel(version, dwarf64);
        var i = src.FindType("int")!;
        i.Kind.ShouldBe(TypeKind.Int);
        i.Size.ShouldBe(4UL);
        i.IsSigned.ShouldBeTrue();
        src.FindType("unsigned int")!.IsSigned.ShouldBeFalse();
        src.FindType("char")!.IsSigned.ShouldBeTrue();
        src.FindType("unsigned char")!.IsSigned.ShouldBeFalse();
        src.FindType("_Bool")!.Kind.ShouldBe(TypeKind.Bool);
        var d = src.FindType("double", TypeKind.Float)!;
        d.Size.ShouldBe(8UL);
        src.FindType("double", TypeKind.Int).ShouldBeNull();
        src.FindType("unsigned long").ShouldBeSameAs(src.FindType("long unsigned int"));
        src.FindType("void").ShouldBeSameAs(KType.Void);
        src.FindType("no_such_type").ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void A_self_referencing_struct_resolves_through_its_pointers(int version, bool dwarf64)
    {
        using var src = Kernel(version, dwarf64);
        var list = src.FindType("list_head", TypeKind.Struct)!;
        list.Size.ShouldBe(16UL);
        list.Members.Select(m => (m.Name, m.Offset)).ShouldBe([("next", 0UL), ("prev", 8UL)]);
        var next = list.Members[0].Type.Type;
        next.Kind.ShouldBe(TypeKind.Pointer);
        next.Size.ShouldBe(8UL);
        next.Target!.Value.Type.ShouldBeSameAs(list);
        src.FindType("struct list_head").ShouldBeSameAs(list);
        list.Declared.ShouldBe(new SourceLocation("/build/linux/include/linux/types.h", 178));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Bit_fields_have_the_same_layout_in_every_encoding(int version, bool dwarf64)
    {
        using var src = Kernel(version, dwarf64);
        var flags = src.FindType("flags", TypeKind.Struct)!;
        flags.Members.Select(m => (m.Name, m.BitOffset, m.BitFieldSize)).ShouldBe(
        [
            ("a", 0UL, 1), ("b", 1UL, 3), ("c", 4UL, 4), ("d", 32UL, 0), ("name", 64UL, 0), ("m", 192UL, 0), ("tail", 384UL, 0),
        ]);
        flags.Members[1].IsBitField.ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Arrays_multi_dimensional_and_flexible(int version, bool dwarf64)
    {
        using var src = Kernel(version, dwarf64);
        var flags = src.FindType("flags", TypeKind.Struct)!;
        var name = flags.Members.Single(m => m.Name == "name").Type.Type;
        name.Kind.ShouldBe(TypeKind.Array);
        name.Length.ShouldBe(16UL);
        name.Size.ShouldBe(16UL);
        var m = flags.Members.Single(x => x.Name == "m").Type.Type;
        m.Length.ShouldBe(2UL);
        m.Size.ShouldBe(24UL);
        m.Target!.Value.Type.Length.ShouldBe(3UL);
        m.Target!.Value.Type.Size.ShouldBe(12UL);
        TypeNames.Declaration(m, "m").ShouldBe("int m[2][3]");
        var tail = flags.Members.Single(x => x.Name == "tail").Type.Type;
        tail.Length.ShouldBeNull();
        tail.IsComplete.ShouldBeFalse();
        TypeNames.Declaration(tail, "tail").ShouldBe("char tail[]");
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Unions_enums_and_typedefs(int version, bool dwarf64)
    {
        using var src = Kernel(version, dwarf64);
        var value = src.FindType("value", TypeKind.Union)!;
        value.Kind.ShouldBe(TypeKind.Union);
        value.Members.Select(m => (m.Name, m.Offset)).ShouldBe([("i", 0UL), ("bytes", 0UL)]);
        src.FindType("value", TypeKind.Struct).ShouldBeNull();

        var sign = src.FindType("sign", TypeKind.Enum)!;
        sign.IsSigned.ShouldBeTrue();
        sign.Enumerators.Select(e => (e.Name, e.SignedValue)).ShouldBe([("NEG", -1L), ("ZERO", 0L), ("FIVE", 5L)]);
        var state = src.FindType("enum state")!;
        state.IsSigned.ShouldBeFalse();
        state.Enumerators.Select(e => (e.Name, e.Value)).ShouldBe([("IDLE", 0UL), ("BUSY", 200UL)]);
        if (version >= 3)
        {
            state.Target!.Value.Type.Name.ShouldBe("unsigned int");
        }

        var list2 = src.FindType("list2_t")!;
        list2.Kind.ShouldBe(TypeKind.Typedef);
        list2.Size.ShouldBe(16UL);
        list2.Unaliased().ShouldBeSameAs(src.FindType("list_head", TypeKind.Struct));
        src.FindType("list_t", TypeKind.Typedef)!.Declared.ShouldBe(new SourceLocation("/build/linux/include/linux/types.h", 20));
        src.FindType("list_t", TypeKind.Int).ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Qualifiers_function_types_and_anonymous_members(int version, bool dwarf64)
    {
        using var src = Kernel(version, dwarf64);
        var holder = src.FindType("holder", TypeKind.Struct)!;
        string Decl(string member)
        {
            var m = holder.Members.Single(x => x.Name == member);
            return TypeNames.Declaration(m.Type, member);
        }

        Decl("cv").ShouldBe("const volatile int cv");
        Decl("rp").ShouldBe("int * restrict rp");
        Decl("at").ShouldBe("_Atomic int at");
        Decl("volatile_ptr").ShouldBe("volatile char * const volatile_ptr");
        Decl("printf").ShouldBe("int (*printf)(const char *, ...)");
        Decl("done").ShouldBe("void (*done)(void)");
        holder.TryFindMember("d", out var d, out ulong bits).ShouldBeTrue();
        d.Type.Type.Name.ShouldBe("double");
        bits.ShouldBe(48UL * 8);
        holder.TryFindMember("ok", out _, out bits).ShouldBeTrue();
        bits.ShouldBe(56UL * 8);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Variables_and_functions(int version, bool dwarf64)
    {
        using var src = Kernel(version, dwarf64);
        src.FindVariableType("init_list")!.Value.Type.ShouldBeSameAs(src.FindType("list_head", TypeKind.Struct));
        src.TryGetVariableAddress("init_list", out ulong address).ShouldBeTrue();
        address.ShouldBe(0xffffffff82000000UL);
        src.FindVariableLocation("init_list").ShouldBe(new SourceLocation("/build/linux/kernel/test.c", 42));
        var fn = src.FindFunctionType("do_work")!;
        fn.Kind.ShouldBe(TypeKind.Function);
        TypeNames.Declaration(fn, "do_work").ShouldBe("int do_work(struct list_head *, int)");
        fn.Parameters.Select(p => p.Name).ShouldBe(["list", "count"]);
        src.TryGetFunctionAddress("do_work", out address).ShouldBeTrue();
        address.ShouldBe(0xffffffff81000100UL);
        src.FindFunctionLocation("do_work").ShouldBe(new SourceLocation("/build/linux/kernel/test.c", 50));
        src.FindVariableType("local").ShouldBeNull(); // a local variable is not a global name
        src.FindFunctionType("init_list").ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void The_same_die_gives_the_same_type_instance(int version, bool dwarf64)
    {
        using var src = Kernel(version, dwarf64);
        src.FindType("flags", TypeKind.Struct).ShouldBeSameAs(src.FindType("flags", TypeKind.Struct));
        src.FindType("holder", TypeKind.Struct)!.Members[1].Type.Type.Target!.Value.Type.ShouldBeSameAs(src.FindType("int"));
    }

    [Fact]
    public void Type_names_lists_each_kind()
    {
        var w = new DwarfWriter();
        DwarfTestKernel.AddTypes(w);
        using var src = DwarfTestKernel.Source(w);
        src.TypeNames(TypeKind.Struct).ShouldBe(["flags", "holder", "list_head"]);
        src.TypeNames(TypeKind.Union).ShouldBe(["value"]);
        src.TypeNames(TypeKind.Enum).ShouldBe(["sign", "state"]);
        src.TypeNames(TypeKind.Typedef).ShouldBe(["list2_t", "list_t"]);
        src.TypeNames(TypeKind.Int).ShouldBe(["char", "int", "long unsigned int", "unsigned char", "unsigned int"]);
        src.TypeNames(TypeKind.Float).ShouldBe(["double"]);
        src.TypeNames(TypeKind.Pointer).ShouldBeEmpty();
        src.VariableNames().ShouldBe(["init_list"]);
        src.FunctionNames().ShouldBe(["do_work"]);
    }
}

public class DwarfFuzzSeedTests
{
    [Theory]
    [InlineData(3, false)]
    [InlineData(4, false)]
    [InlineData(5, false)]
    [InlineData(5, true)]
    public void The_fuzz_seed_kernels_decode_fully(int version, bool dwarf64)
    {
        // The seeds must reach the type builder and the line tables, or fuzzing them tests little.
        var packed = Kdx.Fuzz.FuzzTargets.PackDwarf(SeedKernel.Build(version, dwarf64));
        var sections = new Dictionary<string, byte[]>();
        for (int at = 0; at < packed.Length;)
        {
            int length = BitConverter.ToInt32(packed, at + 1);
            sections[Kdx.Fuzz.FuzzTargets.DwarfSectionNames[packed[at]]] = packed[(at + 5)..(at + 5 + length)];
            at += 5 + length;
        }

        using var src = Kdx.Core.Debug.Dwarf.DwarfTypeSource.FromSections("seed", sections);
        var a = src.FindType("flags", TypeKind.Struct)!.Members[0];
        (a.Name, a.BitOffset, a.BitFieldSize).ShouldBe(("a", 2UL, 3));
        src.FindType("state", TypeKind.Enum)!.Enumerators[0].SignedValue.ShouldBe(-1);
        src.FindVariableType("table")!.Value.Type.Length.ShouldBe(4UL);
        src.TryGetVariableAddress("table", out ulong address).ShouldBeTrue();
        address.ShouldBe(0xffffffff82001000UL);
        src.TryFindLine(0xffffffff81000010, out var line).ShouldBeTrue();
        line.ShouldBe(new SourceLocation("/build/kernel/seed.c", 11)); // the last row at or before, statement or not
        src.Warnings.ShouldBeEmpty();
    }
}
