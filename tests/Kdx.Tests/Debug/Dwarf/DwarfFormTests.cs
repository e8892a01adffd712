using Kdx.Core.Debug.Dwarf;
using Kdx.Fuzz.Dwarf;

namespace Kdx.Tests.Debug.Dwarf;

public class DwarfFormTests
{
    public static TheoryData<int, bool> Versions => new() { { 4, false }, { 4, true }, { 5, false }, { 5, true }, { 3, false }, { 2, false } };

    [Theory]
    [MemberData(nameof(Versions))]
    public void Every_form_decodes_to_its_value(int version, bool dwarf64)
    {
        var w = new DwarfWriter(version, dwarf64);
        var u = w.Unit();
        var target = u.BaseType("int", 4, 5);
        var die = u.Add(Dw.TagVariable);
        var expected = new List<(ushort Form, FormClass Class, object Value)>();
        ushort at = 0x2000; // DW_AT_lo_user: attributes the reader has no meaning for
        void Add(ushort form, object? value, FormClass cls, object expect)
        {
            die.A(at++, form, value);
            expected.Add((form, cls, expect));
        }

        Add(Dw.FormAddr, 0x1122334455667788UL, FormClass.Address, 0x1122334455667788UL);
        Add(Dw.FormData1, 0xab, FormClass.Constant, 0xabUL);
        Add(Dw.FormData2, 0xabcd, FormClass.Constant, 0xabcdUL);
        Add(Dw.FormData4, 0x89abcdefUL, FormClass.Constant, 0x89abcdefUL);
        Add(Dw.FormData8, 0x0123456789abcdefUL, FormClass.Constant, 0x0123456789abcdefUL);
        Add(Dw.FormSdata, -5L, FormClass.SignedConstant, unchecked((ulong)-5L));
        Add(Dw.FormUdata, 300, FormClass.Constant, 300UL);
        Add(Dw.FormFlag, 1, FormClass.Flag, 1UL);
        Add(Dw.FormString, "inline name", FormClass.InlineString, "inline name");
        Add(Dw.FormStrp, "a .debug_str name", FormClass.StringOffset, "a .debug_str name");
        Add(Dw.FormBlock1, new byte[] { 1, 2, 3 }, FormClass.Block, 3UL);
        Add(Dw.FormBlock2, new byte[300], FormClass.Block, 300UL);
        Add(Dw.FormBlock4, new byte[] { 9 }, FormClass.Block, 1UL);
        Add(Dw.FormBlock, new byte[] { 7, 7 }, FormClass.Block, 2UL);
        Add(Dw.FormRef1, target, FormClass.Reference, target);
        Add(Dw.FormRef2, target, FormClass.Reference, target);
        Add(Dw.FormRef4, target, FormClass.Reference, target);
        Add(Dw.FormRef8, target, FormClass.Reference, target);
        Add(Dw.FormRefUdata, target, FormClass.Reference, target);
        Add(Dw.FormRefAddr, target, FormClass.Reference, target);
        if (version >= 4)
        {
            Add(Dw.FormSecOffset, 0x1234, FormClass.SectionOffset, 0x1234UL);
            Add(Dw.FormExprloc, new byte[] { Dw.OpPlusUconst, 8 }, FormClass.Expression, 2UL);
            Add(Dw.FormFlagPresent, null, FormClass.Flag, 1UL);
            Add(Dw.FormRefSig8, 0xfeedfacecafebeefUL, FormClass.TypeSignature, 0xfeedfacecafebeefUL);
        }

        if (version >= 5)
        {
            Add(Dw.FormData16, Enumerable.Range(0, 16).Select(i => (byte)i).ToArray(), FormClass.Data16, 0UL);
            Add(Dw.FormLineStrp, "a .debug_line_str name", FormClass.LineStringOffset, "a .debug_line_str name");
            Add(Dw.FormStrx, "strx", FormClass.StringIndex, "strx");
            Add(Dw.FormStrx1, "strx1", FormClass.StringIndex, "strx1");
            Add(Dw.FormStrx2, "strx2", FormClass.StringIndex, "strx2");
            Add(Dw.FormStrx3, "strx3", FormClass.StringIndex, "strx3");
            Add(Dw.FormStrx4, "strx4", FormClass.StringIndex, "strx4");
            Add(Dw.FormAddrx, 0xffffffff81000000UL, FormClass.AddressIndex, 0xffffffff81000000UL);
            Add(Dw.FormAddrx1, 0xffffffff81000010UL, FormClass.AddressIndex, 0xffffffff81000010UL);
            Add(Dw.FormAddrx2, 0xffffffff81000020UL, FormClass.AddressIndex, 0xffffffff81000020UL);
            Add(Dw.FormAddrx3, 0xffffffff81000030UL, FormClass.AddressIndex, 0xffffffff81000030UL);
            Add(Dw.FormAddrx4, 0xffffffff81000040UL, FormClass.AddressIndex, 0xffffffff81000040UL);
            Add(Dw.FormImplicitConst, -7L, FormClass.SignedConstant, unchecked((ulong)-7L));
            Add(Dw.FormLoclistx, 3, FormClass.LocationListIndex, 3UL);
            Add(Dw.FormRnglistx, 2, FormClass.RangeListIndex, 2UL);
        }

        // DW_FORM_indirect: the form is in the DIE, not in the abbreviation.
        die.Indirect(at++, Dw.FormUdata, 77);
        expected.Add((Dw.FormUdata, FormClass.Constant, 77UL));
        die.Indirect(at++, Dw.FormStrp, "indirect name");
        expected.Add((Dw.FormStrp, FormClass.StringOffset, "indirect name"));

        var file = new DwarfFile(DwarfSections.FromBytes("forms", w.Build()));
        var unit = file.UnitOf(die.Offset);
        unit.Format.Version.ShouldBe((byte)version);
        unit.Format.OffsetSize.ShouldBe((byte)(dwarf64 ? 8 : 4));
        var values = file.Attributes(die.Offset);
        values.Count.ShouldBe(expected.Count);
        for (int i = 0; i < values.Count; i++)
        {
            var (form, cls, expect) = expected[i];
            var v = values[i];
            string what = $"attribute {i} (form 0x{form:x})";
            v.Form.ShouldBe(form, what);
            v.Class.ShouldBe(cls, what);
            switch (expect)
            {
                case string s:
                    file.String(unit, v).ShouldBe(s, what);
                    break;
                case DieNode d:
                    v.Value.ShouldBe((ulong)d.Offset, what);
                    break;
                case ulong n when cls == FormClass.AddressIndex:
                    file.TryAddress(unit, v, out ulong a).ShouldBeTrue(what);
                    a.ShouldBe(n, what);
                    break;
                case ulong n when cls == FormClass.Block:
                    v.Size.ShouldBe((int)n, what);
                    break;
                case ulong n when cls == FormClass.Data16:
                    unit.Section.Data.Span.Slice(v.Position, 16).ToArray().ShouldBe(Enumerable.Range(0, 16).Select(b => (byte)b).ToArray(), what);
                    break;
                case ulong n:
                    v.Value.ShouldBe(n, what);
                    break;
            }
        }
    }

    [Fact]
    public void Signed_values_of_data_forms_sign_extend_from_their_size()
    {
        new AttributeValue(0, 0, FormClass.Constant, 0xff, 0, 1).SignedValue.ShouldBe(-1);
        new AttributeValue(0, 0, FormClass.Constant, 0x7fff, 0, 2).SignedValue.ShouldBe(0x7fff);
        new AttributeValue(0, 0, FormClass.Constant, 0xffff_fffe, 0, 4).SignedValue.ShouldBe(-2);
        new AttributeValue(0, 0, FormClass.SignedConstant, unchecked((ulong)-9L), 0, 8).SignedValue.ShouldBe(-9);
    }

    [Fact]
    public void A_long_padded_leb128_reads_as_its_value()
    {
        // Producers may pad LEB128 numbers; "1" written as 0x81 0x80 0x80 0x00 is still 1.
        var section = new DwarfSection("f", ".debug_info", new byte[] { 0x81, 0x80, 0x80, 0x00, 0x7f, 0xff, 0x7e });
        var r = section.Reader();
        r.Uleb().ShouldBe(1UL);
        r.Position.ShouldBe(4);
        r.Sleb().ShouldBe(-1L);
        r.Sleb().ShouldBe(-129L);
    }
}
