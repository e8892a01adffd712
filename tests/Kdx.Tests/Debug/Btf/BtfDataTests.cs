using System.Buffers.Binary;
using Kdx.Core.Debug.Btf;
using Kdx.Core.Dumps;
using Kdx.Fuzz;

namespace Kdx.Tests.Debug.Btf;

/// <summary>BTF blobs that are wrong in every way the parser checks: each gives a clear error, never a crash.</summary>
public class BtfDataTests
{
    private static byte[] Sample()
    {
        var w = new BtfWriter();
        int i = w.Int("int", 4, signed: true);
        w.Struct("s", 4, ("x", i, 0, 0));
        return w.Build();
    }

    private static string Fails(byte[] blob, BtfData? baseBtf = null, ParseLimits? limits = null) =>
        Should.Throw<DumpFormatException>(() => BtfData.Parse(blob, "bad BTF", baseBtf, limits)).Message;

    private static byte[] With(byte[] blob, int offset, uint value)
    {
        var copy = blob.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset), value);
        return copy;
    }

    [Fact]
    public void A_good_blob_parses_with_its_header()
    {
        var d = BtfData.Parse(Sample(), "good");
        d.Header.ShouldBe(new BtfHeader(1, 0, 24, 0, 40, 40, 9));
        d.ShouldSatisfyAllConditions(x => x.FirstId.ShouldBe(1), x => x.EndId.ShouldBe(3), x => x.LocalCount.ShouldBe(2), x => x.Base.ShouldBeNull());
        d.KindOf(0).ShouldBe(BtfKind.Void);
        d.KindOf(2).ShouldBe(BtfKind.Struct);
        d.NameOf(1).ShouldBe("int");
        d.String(0).ShouldBeNull();
    }

    [Fact]
    public void A_longer_header_is_skipped()
    {
        var w = new BtfWriter();
        w.Int("int", 4, signed: true);
        BtfData.Parse(w.Build(headerLength: 32), "long header").NameOf(1).ShouldBe("int");
    }

    [Fact]
    public void Header_errors()
    {
        Fails(new byte[10]).ShouldContain("shorter than its 24-byte header");
        Fails(With(Sample(), 0, 0x1234)).ShouldContain("bad BTF magic 1234");
        var bigEndian = Sample();
        (bigEndian[0], bigEndian[1]) = (0xeb, 0x9f);
        Fails(bigEndian).ShouldContain("big-endian BTF is not supported");
        var v2 = Sample();
        v2[2] = 2;
        Fails(v2).ShouldContain("version 2");
        Fails(With(Sample(), 4, 8)).ShouldContain("header length 8");
        Fails(With(Sample(), 4, 4000)).ShouldContain("header length 4000");
        Fails(With(Sample(), 12, 4000)).ShouldContain("type section");
        Fails(With(Sample(), 16, 4000)).ShouldContain("string section");
        Fails(With(Sample(), 20, 4000)).ShouldContain("string section");
        Fails(With(With(Sample(), 8, 2), 12, 40)).ShouldContain("not 4-byte aligned");
        Fails(Sample(), limits: new ParseLimits { MaxBtfBytes = 16 }).ShouldContain("larger than the limit");
    }

    [Fact]
    public void String_section_errors()
    {
        var blob = Sample();
        int strings = 24 + 40;
        var notEmptyFirst = blob.ToArray();
        notEmptyFirst[strings] = (byte)'x';
        Fails(notEmptyFirst).ShouldContain("does not start with the empty string");
        var unterminated = blob.ToArray();
        unterminated[^1] = (byte)'x';
        Fails(unterminated).ShouldContain("does not end with a NUL");
        Fails(With(blob, 24, 500)).ShouldContain("BTF type 1 (Int) name offset 500 is past the end of the string section");
        Fails(With(blob, 24 + 16 + 12, 500)).ShouldContain("member 0 name offset 500");
    }

    [Fact]
    public void Record_errors()
    {
        var truncated = With(Sample(), 12, 42);
        Fails(truncated).ShouldContain("ends inside its record");
        var w = new BtfWriter();
        w.Raw(0, (BtfKind)20, 0, false, 0);
        Fails(w.Build()).ShouldContain("unknown kind 20");
        w = new BtfWriter();
        w.Raw(0, BtfKind.Void, 0, false, 0);
        Fails(w.Build()).ShouldContain("unknown kind 0");
        w = new BtfWriter();
        w.Raw(0, BtfKind.Struct, 0xffff, false, 4);
        Fails(w.Build()).ShouldContain("65535 entries) ends past the end of the type section");
    }

    private static readonly Dictionary<string, Action<BtfWriter>> Bad = new()
    {
        { "type 5 is out of range", w => w.Pointer(5) },
        { "element type 9 is out of range", w => w.Array(9, 1, 2) },
        { "index type 9 is out of range", w => w.Array(1, 9, 2) },
        { "member 0 type 7 is out of range", w => w.Struct("s", 4, ("x", 7, 0, 0)) },
        { "member 0 type is void", w => w.Struct("s", 4, ("x", 0, 0, 0)) },
        { "member 0 is a bit field of 200 bits", w => w.Struct("s", 4, ("x", 1, 0, 200)) },
        { "parameter 0 type 8 is out of range", w => w.FunctionProto(1, false, ("p", 8)) },
        { "return type 8 is out of range", w => w.FunctionProto(8, false) },
        { "refers to type 1, a Int, not a FUNC_PROTO", w => w.Function("f", 1) },
        { "type 3 is a Function, not a type", w => { w.Function("f", w.FunctionProto(1, false)); w.Pointer(3); } },
        { "type is void", w => w.Variable("v", 0) },
        { "variable 0 is type 1, a Int, not a VAR", w => w.DataSection(".data", 4, (1, 0, 4)) },
        { "is an integer of 3 bytes", w => w.Int("odd", 3) },
        { "with 40 bits at bit 0", w => w.Int("wide", 4, bits: 40) },
        { "with 4 bits at bit 30", w => w.Int("shifted", 4, bits: 4, bitOffset: 30) },
        { "is a float of 3 bytes", w => w.Float("odd", 3) },
        { "is an enum of 3 bytes", w => w.Enum("e", 3, false, ("A", 1)) },
        { "has component index -2", w => w.DeclTag("t", 1, -2) },
    };

    public static TheoryData<string> BadRecords() => [.. Bad.Keys];

    [Theory]
    [MemberData(nameof(BadRecords))]
    public void Bad_references_and_sizes_are_named(string problem)
    {
        var w = new BtfWriter();
        w.Int("int", 4, signed: true);
        Bad[problem](w);
        Fails(w.Build()).ShouldContain(problem);
    }

    [Fact]
    public void Loops_without_a_struct_are_refused()
    {
        var w = new BtfWriter();
        w.Typedef("a", 2);
        w.Typedef("b", 1);
        Fails(w.Build()).ShouldContain("loop of types");

        w = new BtfWriter();
        w.Pointer(1);
        Fails(w.Build()).ShouldContain("BTF type 1 (Pointer) is part of a loop");

        w = new BtfWriter();
        w.Const(2);
        w.Pointer(3);
        w.Volatile(1);
        Fails(w.Build()).ShouldContain("loop");

        w = new BtfWriter();
        w.Array(1, 0, 4);
        Fails(w.Build()).ShouldContain("loop");

        w = new BtfWriter();
        w.FunctionProto(0, false, ("self", 2));
        w.Pointer(1);
        Fails(w.Build()).ShouldContain("loop");
    }

    [Fact]
    public void A_struct_that_contains_itself_is_refused()
    {
        var w = new BtfWriter();
        w.Struct("s", 8, ("self", 1, 0, 0));
        Fails(w.Build()).ShouldContain("BTF type 1 (Struct) contains itself");

        w = new BtfWriter();
        w.Int("int", 4, signed: true);
        w.Struct("outer", 8, ("x", 1, 0, 0), (null, 3, 32, 0));
        w.Union(null, 8, ("y", 1, 0, 0), (null, 2, 0, 0));
        Fails(w.Build()).ShouldContain("contains itself");

        w = new BtfWriter();
        w.Struct("s", 8, ("a", 2, 0, 0));
        w.Array(1, 0, 2);
        Fails(w.Build()).ShouldContain("contains itself");
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused()
    {
        var w = new BtfWriter();
        w.Int("int", 4, signed: true);
        for (int i = 0; i < BtfData.MaxNesting + 10; i++)
        {
            w.Typedef($"t{i}", w.NextId - 1);
        }

        Fails(w.Build()).ShouldContain($"nests types more than {BtfData.MaxNesting} deep");

        w = new BtfWriter();
        w.Int("int", 4, signed: true);
        for (int i = 0; i < BtfData.MaxNesting - 10; i++)
        {
            w.Typedef($"t{i}", w.NextId - 1);
        }

        BtfData.Parse(w.Build(), "deep but not too deep").LocalCount.ShouldBe(BtfData.MaxNesting - 9);
    }

    [Fact]
    public void A_loop_through_a_struct_member_is_C()
    {
        var w = new BtfWriter();
        int ptr = w.Pointer(2);
        w.Struct("node", 8, ("next", ptr, 0, 0));
        BtfData.Parse(w.Build(), "list").LocalCount.ShouldBe(2);
    }

    [Fact]
    public void Split_BTF_checks_its_own_ids_and_strings_against_the_base()
    {
        var b = new BtfWriter();
        b.Int("int", 4, signed: true);
        var baseData = BtfData.Parse(b.Build(), "vmlinux");

        var m = new BtfWriter(b);
        m.Pointer(1);
        m.Pointer(9);
        Fails(m.Build(), baseData).ShouldContain("BTF type 3 (Pointer) type 9 is out of range (the last type is 3)");

        m = new BtfWriter(b);
        m.Raw(2, BtfKind.Typedef, 0, false, 1); // a string offset inside the base's strings: "nt"
        BtfData.Parse(m.Build(), "module", baseData).NameOf(2).ShouldBe("nt");

        m = new BtfWriter(b);
        m.Raw(400, BtfKind.Typedef, 0, false, 1);
        Fails(m.Build(), baseData).ShouldContain("name offset 400");

        m = new BtfWriter(b);
        m.Pointer(1);
        var noStrings = BtfData.Parse(m.Build(), "module without strings", baseData);
        noStrings.Header.StringLength.ShouldBe(0u);
        Should.Throw<DumpFormatException>(() => noStrings.String(100)).Message.ShouldContain("past the end of the string section");
    }
}
