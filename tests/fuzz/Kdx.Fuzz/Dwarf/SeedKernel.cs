namespace Kdx.Fuzz.Dwarf;

/// <summary>A small kernel-like DWARF for the "dwarf" fuzz seeds: a list, bit fields, an enum, a typedef, a function with lines.</summary>
public static class SeedKernel
{
    public static Dictionary<string, byte[]> Build(int version, bool dwarf64)
    {
        var w = new DwarfWriter(version, dwarf64);
        var u = w.Unit("kernel/seed.c", "/build");
        u.Ranges.Add((0xffffffff81000000, 0xffffffff81000020));
        var lines = new LineProgramWriter { UseLineStrp = version >= 5 };
        if (version >= 5)
        {
            lines.Directories.Add("/build");
            lines.Files.Add(("kernel/seed.c", 0));
        }

        lines.Files.Add(("kernel/seed.c", 0));
        lines.Start(0xffffffff81000000).Row(0xffffffff81000000, 1, 10).Row(0xffffffff81000008, 1, 11, stmt: false).End(0xffffffff81000020);
        u.Lines = lines;
        var i32 = u.BaseType("int", 4, Dw.AteSigned);
        var u32 = u.BaseType("unsigned int", 4, Dw.AteUnsigned);
        var list = u.Add(Dw.TagStructureType).Name("list_head").Size(16);
        var lp = u.Pointer(list);
        u.Member(list, "next", lp, 0);
        u.Member(list, "prev", lp, 8);
        var flags = u.Add(Dw.TagStructureType).Name("flags").Size(8);
        var a = flags.Add(Dw.TagMember).Name("a").Type(u32).A(Dw.AtBitSize, Dw.FormData1, 3);
        if (version >= 4)
        {
            a.A(Dw.AtDataBitOffset, Dw.FormData1, 2);
        }
        else
        {
            a.A(Dw.AtByteSize, Dw.FormData1, 4).A(Dw.AtBitOffset, Dw.FormData1, 27).A(Dw.AtDataMemberLocation, Dw.FormData1, 0);
        }

        u.Member(flags, "list", lp, 8);
        var e = u.Add(Dw.TagEnumerationType).Name("state").Size(4);
        e.Add(Dw.TagEnumerator).Name("OFF").A(Dw.AtConstValue, Dw.FormSdata, -1L);
        e.Add(Dw.TagEnumerator).Name("ON").A(Dw.AtConstValue, Dw.FormData1, 1);
        u.Typedef("list_t", list);
        var arr = u.Add(Dw.TagArrayType).Type(i32);
        arr.Add(Dw.TagSubrangeType).A(Dw.AtUpperBound, Dw.FormData1, 3);
        u.Add(Dw.TagVariable).Name("table").Type(arr).A(Dw.AtLocation, version >= 4 ? Dw.FormExprloc : Dw.FormBlock1, (byte[])[Dw.OpAddr, 0, 0x10, 0, 0x82, 0xff, 0xff, 0xff, 0xff]);
        var f = u.Add(Dw.TagSubprogram).Name("seed_fn").Type(i32).A(Dw.AtLowPc, Dw.FormAddr, 0xffffffff81000000UL).A(Dw.AtHighPc, Dw.FormData4, 0x20);
        f.Add(Dw.TagFormalParameter).Name("l").Type(lp);
        return w.Build();
    }
}
