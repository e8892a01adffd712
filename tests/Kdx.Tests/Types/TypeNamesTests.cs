using Kdx.Core.Types;

namespace Kdx.Tests.Types;

public class TypeNamesTests
{
    private static readonly KType Char = KType.Int("char", 1, true);
    private static readonly KType Int = KType.Int("int", 4, true);
    private static readonly KType TimerList = KType.Struct("timer_list", 40, () => []);

    [Fact]
    public void Spells_pointers_arrays_and_functions_like_c()
    {
        KType.Pointer(Char).ToString().ShouldBe("char *");
        KType.Array(Char, 16).ToString().ShouldBe("char [16]");
        TypeNames.Declaration(KType.Array(Char, 16), "comm").ShouldBe("char comm[16]");
        TypeNames.Declaration(KType.Array(KType.Pointer(Char), 4), "argv").ShouldBe("char *argv[4]");
        TypeNames.Declaration(KType.Pointer(KType.Array(Char, 4)), "p").ShouldBe("char (*p)[4]");
        var fn = KType.Function(() => KType.Void, () => [new KParameter("t", KType.Pointer(TimerList))], false);
        TypeNames.Declaration(KType.Pointer(fn), "function").ShouldBe("void (*function)(struct timer_list *)");
        KType.Pointer(fn).ToString().ShouldBe("void (*)(struct timer_list *)");
        KType.Function(() => Int, () => [], false).ToString().ShouldBe("int (void)");
        KType.Function(() => Int, () => [new KParameter(null, KType.Pointer(new QualifiedType(Char, Qualifiers.Const)))], true).ToString().ShouldBe("int (const char *, ...)");
    }

    [Fact]
    public void Qualifiers_go_before_base_types_and_after_the_star_of_pointers()
    {
        new QualifiedType(Char, Qualifiers.Const | Qualifiers.Volatile).ToString().ShouldBe("const volatile char");
        TypeNames.Declaration(new QualifiedType(KType.Pointer(Char), Qualifiers.Const), "p").ShouldBe("char * const p");
        KType.Pointer(new QualifiedType(Char, Qualifiers.Const)).ToString().ShouldBe("const char *");
    }

    [Fact]
    public void Anonymous_and_incomplete_types()
    {
        KType.Struct(null, 8, () => []).ToString().ShouldBe("struct {...}");
        KType.Union(null, 8, () => []).ToString().ShouldBe("union {...}");
        KType.Enum("pid_type", 4, false, () => []).ToString().ShouldBe("enum pid_type");
        KType.Struct("opaque", 0, null).IsComplete.ShouldBeFalse();
        TypeNames.Declaration(KType.Array(Char, null), "data").ShouldBe("char data[]");
    }

    [Fact]
    public void Members_are_found_through_anonymous_unions_with_their_offsets()
    {
        var inner = KType.Union(null, 8, () => [new KMember("a", Int, 0), new KMember("b", KType.Int("long", 8, true), 0)]);
        var outer = KType.Struct("s", 24, () => [new KMember("x", Int, 0), new KMember(null, inner, 64), new KMember("flags", Int, 128 + 3, 5)]);
        var t = KType.Typedef("s_t", outer);
        t.TryFindMember("b", out var m, out var bits).ShouldBeTrue();
        m.Name.ShouldBe("b");
        bits.ShouldBe(64UL);
        t.TryFindMember("flags", out var f, out _).ShouldBeTrue();
        f.IsBitField.ShouldBeTrue();
        f.Offset.ShouldBe(16UL);
        t.TryFindMember("nope", out _, out _).ShouldBeFalse();
        t.Unaliased().ShouldBeSameAs(outer);
        t.IsIntegerLike.ShouldBeFalse();
        KType.Typedef("u32", KType.Int("unsigned int", 4, false)).IsIntegerLike.ShouldBeTrue();
    }

    [Fact]
    public void Self_referencing_types_resolve_lazily()
    {
        KType? listHead = null;
        listHead = KType.Struct("list_head", 16, () => [new KMember("next", KType.Pointer(() => listHead!), 0), new KMember("prev", KType.Pointer(() => listHead!), 64)]);
        listHead.Members[0].Type.Type.Target!.Value.Type.ShouldBeSameAs(listHead);
        listHead.Members[1].Type.ToString().ShouldBe("struct list_head *");
    }
}
