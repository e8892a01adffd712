using CsCheck;
using Kdx.Core.Debug.Btf;
using Kdx.Core.Dumps;
using Kdx.Core.Types;
using Kdx.Fuzz;

namespace Kdx.Tests.Debug.Btf;

public class BtfTypeSourceTests
{
    private static BtfTypeSource Source(BtfWriter w) => new(BtfData.Parse(w.Build(), "test BTF"));

    [Fact]
    public void Integers_bool_char_and_float()
    {
        var w = new BtfWriter();
        int c = w.Int("char", 1, signed: true, isChar: true);
        int u = w.Int("unsigned int", 4);
        int l = w.Int("long int", 8, signed: true);
        int b = w.Int("_Bool", 1, isBool: true);
        int d = w.Float("double", 8);
        var s = Source(w);

        s.Resolve(c).Type.ShouldSatisfyAllConditions(t => t.Kind.ShouldBe(TypeKind.Int), t => t.Name.ShouldBe("char"), t => t.IsSigned.ShouldBeTrue(), t => t.Size.ShouldBe(1UL));
        s.Resolve(u).Type.IsSigned.ShouldBeFalse();
        s.Resolve(l).Type.Size.ShouldBe(8UL);
        s.Resolve(b).Type.Kind.ShouldBe(TypeKind.Bool);
        s.Resolve(d).Type.ShouldSatisfyAllConditions(t => t.Kind.ShouldBe(TypeKind.Float), t => t.Size.ShouldBe(8UL));
        s.FindType("unsigned int").ShouldBeSameAs(s.Resolve(u).Type);
        s.FindType("double", TypeKind.Float).ShouldBeSameAs(s.Resolve(d).Type);
        s.FindType("double", TypeKind.Int).ShouldBeNull();
        s.FindType("void").ShouldBeSameAs(KType.Void);
        s.Resolve(0).Type.ShouldBeSameAs(KType.Void);
    }

    [Fact]
    public void A_struct_that_points_to_itself_is_built_lazily()
    {
        var w = new BtfWriter();
        int listHead = w.NextId + 1;
        int ptr = w.Pointer(listHead);
        w.Struct("list_head", 16, ("next", ptr, 0, 0), ("prev", ptr, 64, 0));
        var s = Source(w);

        var t = s.FindType("list_head", TypeKind.Struct)!;
        t.Size.ShouldBe(16UL);
        t.Members.Select(m => (m.Name, m.Offset)).ShouldBe([("next", 0UL), ("prev", 8UL)]);
        t.Members[0].Type.Type.Target!.Value.Type.ShouldBeSameAs(t);
        TypeNames.Declaration(t.Members[1].Type, "prev").ShouldBe("struct list_head *prev");
    }

    [Fact]
    public void Arrays_have_length_and_size_from_their_element()
    {
        var w = new BtfWriter();
        int c = w.Int("char", 1, signed: true, isChar: true);
        int u = w.Int("unsigned int", 4);
        int comm = w.Array(c, u, 16);
        int row = w.Array(u, u, 6);
        int matrix = w.Array(row, u, 5);
        int empty = w.Array(u, u, 0);
        int td = w.Typedef("u32", u);
        int ofTypedef = w.Array(td, u, 3);
        var s = Source(w);

        s.Resolve(comm).Type.ShouldSatisfyAllConditions(t => t.Length.ShouldBe(16UL), t => t.Size.ShouldBe(16UL));
        s.Resolve(matrix).Type.Size.ShouldBe(120UL);
        TypeNames.Declaration(s.Resolve(matrix), "m").ShouldBe("unsigned int m[5][6]");
        s.Resolve(empty).Type.ShouldSatisfyAllConditions(t => t.Length.ShouldBe(0UL), t => t.Size.ShouldBe(0UL));
        s.Resolve(ofTypedef).Type.Size.ShouldBe(12UL);
        s.SizeOf(matrix).ShouldBe(120UL);
    }

    [Fact]
    public void Kind_flag_bit_fields_carry_width_and_offset_in_the_member_offset()
    {
        var w = new BtfWriter();
        int u = w.Int("unsigned int", 4);
        w.Struct("flags", 8, ("a", u, 0, 1), ("b", u, 1, 3), ("c", u, 4, 28), ("d", u, 32, 0));
        var t = Source(w).FindType("flags", TypeKind.Struct)!;

        t.Members.Select(m => (m.Name, m.BitOffset, m.BitFieldSize)).ShouldBe([("a", 0UL, 1), ("b", 1UL, 3), ("c", 4UL, 28), ("d", 32UL, 0)]);
        t.Members[1].Type.Type.Name.ShouldBe("unsigned int");
    }

    [Fact]
    public void Without_kind_flag_a_bit_field_is_an_int_type_with_fewer_bits_and_its_own_bit_offset()
    {
        var w = new BtfWriter();
        int u = w.Int("unsigned int", 4);
        int three = w.Int("unsigned int", 4, bits: 3);
        int shifted = w.Int("unsigned int", 4, bits: 4, bitOffset: 2);
        int viaTypedef = w.Typedef("u3", three);
        w.PlainStruct("old", 8, ("x", three, 0), ("y", shifted, 3), ("z", viaTypedef, 9), ("w", u, 32));
        var t = Source(w).FindType("old", TypeKind.Struct)!;

        t.Members.Select(m => (m.Name, m.BitOffset, m.BitFieldSize)).ShouldBe([("x", 0UL, 3), ("y", 5UL, 4), ("z", 9UL, 3), ("w", 32UL, 0)]);
    }

    [Fact]
    public void Unions_and_anonymous_members_are_found_as_C_finds_them()
    {
        var w = new BtfWriter();
        int u = w.Int("unsigned int", 4);
        int ul = w.Int("long unsigned int", 8);
        int inner = w.Union(null, 8, ("value", ul, 0, 0), ("half", u, 0, 0));
        w.Struct("outer", 16, ("id", u, 0, 0), (null, inner, 64, 0));
        var s = Source(w);
        var t = s.FindType("outer", TypeKind.Struct)!;

        t.Members[1].Name.ShouldBeNull();
        t.Members[1].Type.Type.Kind.ShouldBe(TypeKind.Union);
        t.TryFindMember("half", out var half, out ulong bits).ShouldBeTrue();
        half.Type.Type.Name.ShouldBe("unsigned int");
        bits.ShouldBe(64UL);
    }

    [Fact]
    public void Enums_signed_unsigned_and_64_bit()
    {
        var w = new BtfWriter();
        w.Enum("pid_type", 4, false, ("PIDTYPE_PID", 0), ("PIDTYPE_MAX", 4));
        w.Enum("neg", 4, true, ("MINUS_ONE", -1), ("TWO", 2));
        w.Enum("old_neg", 4, false, ("ALL_ONES", -1));
        w.Enum64("big", 8, false, ("HUGE", 0x1_0000_0002UL));
        w.Enum64("small", 1, true, ("M", unchecked((ulong)-3L)));
        var s = Source(w);

        var pid = s.FindType("pid_type", TypeKind.Enum)!;
        pid.Enumerators.Select(e => (e.Name, e.Value)).ShouldBe([("PIDTYPE_PID", 0UL), ("PIDTYPE_MAX", 4UL)]);
        pid.IsSigned.ShouldBeFalse();
        pid.Target!.Value.Type.Name.ShouldBe("unsigned int");
        var neg = s.FindType("neg", TypeKind.Enum)!;
        neg.IsSigned.ShouldBeTrue();
        neg.Enumerators[0].SignedValue.ShouldBe(-1);
        neg.Target!.Value.Type.Name.ShouldBe("int");
        s.FindType("old_neg", TypeKind.Enum)!.Enumerators[0].Value.ShouldBe(0xffffffffUL);
        s.FindType("big", TypeKind.Enum)!.ShouldSatisfyAllConditions(e => e.Size.ShouldBe(8UL), e => e.Enumerators[0].Value.ShouldBe(0x1_0000_0002UL), e => e.Target!.Value.Type.Name.ShouldBe("long unsigned int"));
        s.FindType("small", TypeKind.Enum)!.ShouldSatisfyAllConditions(e => e.Enumerators[0].SignedValue.ShouldBe(-3), e => e.Target!.Value.Type.Name.ShouldBe("signed char"));
    }

    [Fact]
    public void Enumerators_are_found_by_name_with_their_enum_the_first_enum_winning()
    {
        var w = new BtfWriter();
        w.Enum("pid_type", 4, false, ("PIDTYPE_PID", 0), ("PIDTYPE_TGID", 1), ("PIDTYPE_MAX", 4));
        w.Enum(null, 4, false, ("ANON_A", 7));
        w.Enum("again", 4, false, ("PIDTYPE_TGID", 9));
        w.Enum64("big", 8, false, ("HUGE", 0x1_0000_0002UL));
        var s = Source(w);

        s.FindEnumeratorType("PIDTYPE_TGID")!.Name.ShouldBe("pid_type");
        s.FindEnumeratorType("PIDTYPE_MAX")!.Name.ShouldBe("pid_type");
        s.FindEnumeratorType("ANON_A")!.ShouldSatisfyAllConditions(e => e.Name.ShouldBeNull(), e => e.Kind.ShouldBe(TypeKind.Enum));
        s.FindEnumeratorType("HUGE")!.Name.ShouldBe("big");
        s.FindEnumeratorType("pid_type").ShouldBeNull();
        s.FindEnumeratorType("NOSUCH").ShouldBeNull();

        // The collection takes a named enum from its first source that defines the tag.
        var collection = new TypeCollection([s]);
        collection.TryFindEnumerator("PIDTYPE_MAX", out var type, out var e).ShouldBeTrue();
        (type.Name, e.Name, e.Value).ShouldBe(("pid_type", "PIDTYPE_MAX", 4UL));
        collection.TryFindEnumerator("NOSUCH", out _, out _).ShouldBeFalse();
    }

    [Fact]
    public void A_forward_declaration_is_incomplete_and_gives_way_to_a_definition()
    {
        var w = new BtfWriter();
        int u = w.Int("int", 4, signed: true);
        int fwd = w.Forward("task_struct");
        int ufwd = w.Forward("opaque", union: true);
        int def = w.Struct("task_struct", 4, ("pid", u, 0, 0));
        w.Struct("task_struct", 8, ("other", u, 32, 0)); // a second definition (another CU): the first stays
        var s = Source(w);

        s.Resolve(fwd).Type.ShouldSatisfyAllConditions(t => t.Kind.ShouldBe(TypeKind.Struct), t => t.IsComplete.ShouldBeFalse(), t => t.Members.ShouldBeEmpty());
        s.Resolve(ufwd).Type.Kind.ShouldBe(TypeKind.Union);
        s.FindType("opaque", TypeKind.Union)!.IsComplete.ShouldBeFalse();
        s.FindType("task_struct", TypeKind.Struct).ShouldBeSameAs(s.Resolve(def).Type);
        s.FindType("task_struct", TypeKind.Union).ShouldBeNull();
    }

    [Fact]
    public void Typedefs_chain_and_take_the_size_of_what_they_name()
    {
        var w = new BtfWriter();
        int u = w.Int("unsigned int", 4);
        int u32 = w.Typedef("u32", u);
        int gfp = w.Typedef("gfp_t", u32);
        var s = Source(w);

        var t = s.FindType("gfp_t")!;
        t.ShouldSatisfyAllConditions(x => x.Kind.ShouldBe(TypeKind.Typedef), x => x.Size.ShouldBe(4UL));
        t.Target!.Value.Type.ShouldBeSameAs(s.Resolve(u32).Type);
        t.Unaliased().ShouldBeSameAs(s.Resolve(u).Type);
        s.FindType("gfp_t", TypeKind.Typedef).ShouldBeSameAs(s.Resolve(gfp).Type);
    }

    [Fact]
    public void Qualifiers_collect_and_tags_are_skipped()
    {
        var w = new BtfWriter();
        int c = w.Int("char", 1, signed: true, isChar: true);
        int cc = w.Const(c);
        int vcc = w.Volatile(cc);
        int str = w.Pointer(cc);
        int restricted = w.Restrict(str);
        int task = w.Struct("task", 4, ("x", c, 0, 0));
        int rcuTask = w.TypeTag("rcu", w.NextId + 1);
        int constTask = w.Const(task);
        int tagged = w.Pointer(rcuTask);
        w.DeclTag("user", task, 0);
        var s = Source(w);

        s.Resolve(vcc).ShouldBe(new QualifiedType(s.Resolve(c).Type, Qualifiers.Const | Qualifiers.Volatile));
        s.Resolve(str).ToString().ShouldBe("const char *");
        s.Resolve(restricted).Qualifiers.ShouldBe(Qualifiers.Restrict);
        s.Resolve(rcuTask).ShouldBe(new QualifiedType(s.Resolve(task).Type, Qualifiers.Const));
        s.Resolve(constTask).Qualifiers.ShouldBe(Qualifiers.Const);
        s.Resolve(tagged).Type.Target!.Value.ToString().ShouldBe("const struct task");
        s.FindType("user").ShouldBeNull();
    }

    [Fact]
    public void Records_that_are_not_types_do_not_resolve()
    {
        var w = new BtfWriter();
        int i = w.Int("int", 4, signed: true);
        int proto = w.FunctionProto(i, false);
        int fn = w.Function("f", proto);
        int v = w.Variable("v", i);
        int tag = w.DeclTag("x", i);
        int sec = w.DataSection(".data", 4, (v, 0, 4));
        var s = Source(w);

        foreach (int id in (int[])[fn, v, tag, sec])
        {
            Should.Throw<DumpFormatException>(() => s.Resolve(id)).Message.ShouldContain("not a type");
        }

        Should.Throw<DumpFormatException>(() => s.Resolve(99)).Message.ShouldContain("out of range");
    }

    [Fact]
    public void Function_prototypes_and_functions()
    {
        var w = new BtfWriter();
        int i = w.Int("int", 4, signed: true);
        int c = w.Int("char", 1, signed: true, isChar: true);
        int cp = w.Pointer(w.Const(c));
        int printk = w.FunctionProto(i, true, ("fmt", cp));
        int voidFn = w.FunctionProto(0, false);
        w.Function("_printk", printk);
        w.Function("schedule", voidFn);
        var s = Source(w);

        var t = s.FindFunctionType("_printk")!;
        t.ShouldSatisfyAllConditions(x => x.Kind.ShouldBe(TypeKind.Function), x => x.IsVariadic.ShouldBeTrue());
        t.Parameters.Select(p => p.Name).ShouldBe(["fmt"]);
        t.ToString().ShouldBe("int (const char *, ...)");
        s.FindFunctionType("schedule")!.ToString().ShouldBe("void (void)");
        TypeNames.Declaration(KType.Pointer(s.Resolve(printk)), "fn").ShouldBe("int (*fn)(const char *, ...)");
        s.FindFunctionType("nope").ShouldBeNull();
        s.TypeNames(TypeKind.Function).Order().ShouldBe(["_printk", "schedule"]);
    }

    [Fact]
    public void Variables_come_from_VAR_records_and_their_data_section()
    {
        var w = new BtfWriter();
        int i = w.Int("int", 4, signed: true);
        int rq = w.Struct("rq", 64, ("nr_running", i, 0, 0));
        int runqueues = w.Variable("runqueues", rq);
        int cpu = w.Variable("cpu_number", i);
        w.Variable("lonely", w.Const(i), 0);
        w.DataSection(".data..percpu", 0x3000, (cpu, 0x10, 4), (runqueues, 0x2000, 64));
        var s = Source(w);

        s.FindVariableType("runqueues")!.Value.Type.ShouldBeSameAs(s.Resolve(rq).Type);
        s.TryGetVariable("runqueues", out var v).ShouldBeTrue();
        v.ShouldBe(new BtfVariable("runqueues", s.Resolve(rq), ".data..percpu", 0x2000, 64));
        s.TryGetVariable("lonely", out var lonely).ShouldBeTrue();
        lonely.ShouldSatisfyAllConditions(x => x.Section.ShouldBeNull(), x => x.Size.ShouldBe(4u), x => x.Type.Qualifiers.ShouldBe(Qualifiers.Const));
        s.FindVariableType("jiffies").ShouldBeNull();
        s.Variables.Select(x => x.Name).Order().ShouldBe(["cpu_number", "lonely", "runqueues"]);
    }

    [Fact]
    public void Type_names_by_kind()
    {
        var w = new BtfWriter();
        int i = w.Int("int", 4, signed: true);
        w.Typedef("pid_t", i);
        w.Struct("a", 4, ("x", i, 0, 0));
        w.Forward("b");
        w.Union("u", 4, ("x", i, 0, 0));
        w.Enum("e", 4, false, ("E", 1));
        w.Float("double", 8);
        var s = Source(w);

        s.TypeNames(TypeKind.Struct).Order().ShouldBe(["a", "b"]);
        s.TypeNames(TypeKind.Union).ShouldBe(["u"]);
        s.TypeNames(TypeKind.Enum).ShouldBe(["e"]);
        s.TypeNames(TypeKind.Typedef).ShouldBe(["pid_t"]);
        s.TypeNames(TypeKind.Int).ShouldBe(["int"]);
        s.TypeNames(TypeKind.Float).ShouldBe(["double"]);
        s.TypeNames(TypeKind.Pointer).ShouldBeEmpty();
    }

    [Fact]
    public void Split_BTF_continues_the_base_ids_and_strings_and_shares_its_types()
    {
        var b = new BtfWriter();
        int i = b.Int("int", 4, signed: true);
        int listHead = b.NextId + 1;
        int lp = b.Pointer(listHead);
        b.Struct("list_head", 16, ("next", lp, 0, 0), ("prev", lp, 64, 0));
        var baseData = BtfData.Parse(b.Build(), "vmlinux");
        var baseSource = new BtfTypeSource(baseData);

        var m = new BtfWriter(b);
        int item = m.Struct("vmlab_item", 24, ("magic", i, 0, 0), ("node", listHead, 64, 0));
        m.Typedef("int", i); // a name the base has too: the module's own table keeps it
        var split = BtfData.Parse(m.Build(), "module vmlab", baseData);
        var module = new BtfTypeSource(split, baseSource);

        split.FirstId.ShouldBe(baseData.EndId);
        item.ShouldBe(split.FirstId);
        split.FirstStringOffset.ShouldBe(baseData.Header.StringLength);
        var t = module.FindType("vmlab_item", TypeKind.Struct)!;
        t.Members[1].Type.Type.ShouldBeSameAs(baseSource.FindType("list_head", TypeKind.Struct));
        module.Resolve(i).Type.ShouldBeSameAs(baseSource.Resolve(i).Type);
        module.FindType("list_head", TypeKind.Struct).ShouldBeNull();
        module.FindType("int")!.Kind.ShouldBe(TypeKind.Typedef);
        baseSource.FindType("int")!.Kind.ShouldBe(TypeKind.Int);
        split.NameOf(listHead).ShouldBe("list_head");
        split.KindOf(i).ShouldBe(BtfKind.Int);

        var all = new TypeCollection([baseSource, module]);
        all.FindType("vmlab_item", TypeKind.Struct).ShouldBeSameAs(t);
        all.FindType("list_head", TypeKind.Struct).ShouldNotBeNull();
        Should.Throw<ArgumentException>(() => new BtfTypeSource(split));
        Should.Throw<ArgumentException>(() => new BtfTypeSource(split, new BtfTypeSource(BtfData.Parse(b.Build(), "another vmlinux"))));
    }

    [Fact]
    public void A_name_offset_at_an_empty_string_is_no_name()
    {
        var w = new BtfWriter();
        int i = w.Int("int", 4, signed: true);
        w.Raw(w.Str("int") + 3, BtfKind.Struct, 1, false, 4, 0, (uint)i, 0); // points at the NUL after "int"
        var s = Source(w);
        s.Resolve(2).Type.Name.ShouldBeNull();
        s.TypeNames(TypeKind.Struct).ShouldBeEmpty();
    }

    [Fact]
    public void Concurrent_lookups_build_each_type_once()
    {
        var w = new BtfWriter();
        int u = w.Int("unsigned int", 4);
        var ids = Enumerable.Range(0, 200).Select(k => w.Struct($"s{k}", 4, ("x", u, 0, 0))).ToArray();
        var s = Source(w);

        var seen = new System.Collections.Concurrent.ConcurrentBag<KType>[ids.Length];
        for (int k = 0; k < ids.Length; k++)
        {
            seen[k] = [];
        }

        Parallel.For(0, 8, _ =>
        {
            for (int k = 0; k < ids.Length; k++)
            {
                seen[k].Add(s.FindType($"s{k}", TypeKind.Struct)!);
                seen[k].Add(s.Resolve(ids[k]).Type);
            }
        });

        seen.ShouldAllBe(bag => bag.Distinct().Count() == 1);
    }

    [Fact]
    public void Random_struct_layouts_read_back_as_written()
    {
        var member = Gen.Select(Gen.UInt[0, 4000], Gen.UInt[0, 32], Gen.Bool);
        Gen.Select(member.List[0, 40], Gen.Bool).Sample((members, anonymous) =>
        {
            var w = new BtfWriter();
            int u = w.Int("unsigned int", 4);
            int ul = w.Int("long unsigned int", 8);
            var written = members.Select((m, k) => (Name: anonymous && k == 0 ? null : $"m{k}", Type: m.Item3 ? u : ul, BitOffset: m.Item1, Bits: m.Item2)).ToArray();
            w.Struct("random", 4096, written);
            var t = Source(w).FindType("random", TypeKind.Struct)!;

            t.Members.Select(x => (x.Name, x.BitOffset, (uint)x.BitFieldSize, x.Type.Type.Size))
                .ShouldBe(written.Select(x => (x.Name, (ulong)x.BitOffset, x.Bits, x.Type == u ? 4UL : 8UL)));
        });
    }
}
