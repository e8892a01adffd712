using Kdx.Core.Debug.Dwarf;
using Kdx.Fuzz.Dwarf;

namespace Kdx.Tests.Debug.Dwarf;

/// <summary>
/// A small "kernel" written in DWARF of any version: base types, a self-referencing list_head, bit
/// fields, arrays, a union, enums, typedefs, qualifiers, function types and an anonymous member.
/// The same C types in every encoding, so each test checks DWARF 2, 3, 4 and 5 (32- and 64-bit) alike.
/// </summary>
internal static class DwarfTestKernel
{
    public static TheoryData<int, bool> Encodings => new() { { 2, false }, { 3, false }, { 4, false }, { 5, false }, { 4, true }, { 5, true } };

    public static DwarfTypeSource Source(DwarfWriter w, int threads = 2) =>
        DwarfTypeSource.FromSections("test", w.Build(), new DwarfOptions { MaxThreads = threads });

    /// <summary>Writes the test types into a new unit of <paramref name="w"/>.</summary>
    public static UnitWriter AddTypes(DwarfWriter w)
    {
        var u = w.Unit("kernel/test.c", "/build/linux");
        var lines = new LineProgramWriter();
        if (w.Version >= 5)
        {
            // DWARF 5 lists the compilation directory and the primary file as entries 0.
            lines.Directories.Add("/build/linux");
            lines.Files.Add(("kernel/test.c", 0));
        }

        lines.Directories.Add("include/linux");

        lines.Files.Add(("kernel/test.c", 0));
        lines.Files.Add(("types.h", 1));
        lines.UseLineStrp = w.Version >= 5;
        u.Lines = lines;

        var i32 = u.BaseType("int", 4, Dw.AteSigned);
        var u32 = u.BaseType("unsigned int", 4, Dw.AteUnsigned);
        var chr = u.BaseType("char", 1, Dw.AteSignedChar);
        var uchr = u.BaseType("unsigned char", 1, Dw.AteUnsignedChar);
        var ulongType = u.BaseType("long unsigned int", 8, Dw.AteUnsigned);
        var boolean = u.BaseType("_Bool", 1, Dw.AteBoolean);
        var dbl = u.BaseType("double", 8, Dw.AteFloat);

        // struct list_head { struct list_head *next, *prev; } — a cycle through pointers.
        var listHead = u.Add(Dw.TagStructureType).Name("list_head").Size(16).A(Dw.AtDeclFile, Dw.FormData1, 2).A(Dw.AtDeclLine, Dw.FormData2, 178);
        var listPtr = u.Pointer(listHead);
        u.Member(listHead, "next", listPtr, 0);
        u.Member(listHead, "prev", listPtr, 8);

        // struct flags { unsigned int a:1, b:3, c:4; unsigned int d; char name[16]; int m[2][3]; char tail[]; }
        var flags = u.Add(Dw.TagStructureType).Name("flags").Size(48);
        BitField(w, flags, "a", u32, 0, 1);
        BitField(w, flags, "b", u32, 1, 3);
        BitField(w, flags, "c", u32, 4, 4);
        u.Member(flags, "d", u32, 4);
        var name = u.Add(Dw.TagArrayType).Type(chr);
        name.Add(Dw.TagSubrangeType).Type(ulongType).A(Dw.AtUpperBound, Dw.FormData1, 15);
        u.Member(flags, "name", name, 8);
        var matrix = u.Add(Dw.TagArrayType).Type(i32);
        matrix.Add(Dw.TagSubrangeType).Type(ulongType).A(Dw.AtCount, Dw.FormData1, 2);
        matrix.Add(Dw.TagSubrangeType).Type(ulongType).A(Dw.AtUpperBound, Dw.FormData1, 2);
        u.Member(flags, "m", matrix, 24);
        var tail = u.Add(Dw.TagArrayType).Type(chr);
        tail.Add(Dw.TagSubrangeType).Type(ulongType);
        u.Member(flags, "tail", tail, 48);

        // union value { int i; unsigned char bytes[4]; };
        var bytes = u.Add(Dw.TagArrayType).Type(uchr);
        bytes.Add(Dw.TagSubrangeType).Type(ulongType).A(Dw.AtUpperBound, Dw.FormData1, 3);
        u.Union("value", 4, ("i", i32, 0), ("bytes", bytes, 0));

        // enum sign { NEG = -1, ZERO, FIVE = 5 } (signed); enum state { IDLE, BUSY = 200 } (unsigned, DW_AT_type in DWARF 3+)
        var sign = u.Add(Dw.TagEnumerationType).Name("sign").Size(4);
        sign.Add(Dw.TagEnumerator).Name("NEG").A(Dw.AtConstValue, Dw.FormSdata, -1L);
        sign.Add(Dw.TagEnumerator).Name("ZERO").A(Dw.AtConstValue, Dw.FormData1, 0);
        sign.Add(Dw.TagEnumerator).Name("FIVE").A(Dw.AtConstValue, Dw.FormData1, 5);
        var state = u.Add(Dw.TagEnumerationType).Name("state").Size(4);
        if (w.Version >= 3)
        {
            state.Type(u32);
        }

        state.Add(Dw.TagEnumerator).Name("IDLE").A(Dw.AtConstValue, Dw.FormData1, 0);
        state.Add(Dw.TagEnumerator).Name("BUSY").A(Dw.AtConstValue, Dw.FormData1, 200);

        // typedef struct list_head list_t; typedef list_t list2_t;
        var listT = u.Typedef("list_t", listHead).A(Dw.AtDeclFile, Dw.FormData1, 2).A(Dw.AtDeclLine, Dw.FormData1, 20);
        u.Typedef("list2_t", listT);

        // const volatile int; int *restrict; _Atomic int; const pointer to volatile char
        var cInt = u.Add(Dw.TagConstType).Type(i32);
        var cvInt = u.Add(Dw.TagVolatileType).Type(cInt);
        var intPtr = u.Pointer(i32);
        var restrictPtr = u.Add(Dw.TagRestrictType).Type(intPtr);
        var atomicInt = u.Add(Dw.TagAtomicType).Type(i32);
        var vChar = u.Add(Dw.TagVolatileType).Type(chr);
        var constPtrToVolatile = u.Add(Dw.TagConstType).Type(u.Pointer(vChar));
        var constChar = u.Add(Dw.TagConstType).Type(chr);

        // int (*)(const char *, ...); void (*)(void); an unprototyped function type
        var printfType = u.Add(Dw.TagSubroutineType).Type(i32).A(Dw.AtPrototyped, Dw.FormFlagPresent, null);
        printfType.Add(Dw.TagFormalParameter).Type(u.Pointer(constChar));
        printfType.Add(Dw.TagUnspecifiedParameters);
        var voidFn = u.Add(Dw.TagSubroutineType).A(Dw.AtPrototyped, Dw.FormFlag, 1);
        voidFn.ForceChildren = false;

        // struct holder { const volatile int cv; int *restrict rp; _Atomic int at; char *const volatile_ptr;
        //   int (*printf)(const char *, ...); void (*done)(void); union { long unsigned int raw; double d; }; _Bool ok; }
        var anon = u.Union(null, 8, ("raw", ulongType, 0), ("d", dbl, 0));
        u.Struct(
            "holder",
            64,
            ("cv", cvInt, 0),
            ("rp", restrictPtr, 8),
            ("at", atomicInt, 16),
            ("volatile_ptr", constPtrToVolatile, 24),
            ("printf", u.Pointer(printfType), 32),
            ("done", u.Pointer(voidFn), 40),
            (null, anon, 48),
            ("ok", boolean, 56));

        // A global variable and a function with an address.
        u.Add(Dw.TagVariable).Name("init_list").Type(listHead).A(Dw.AtExternal, Dw.FormFlagPresent, null)
            .A(Dw.AtDeclFile, Dw.FormData1, 1).A(Dw.AtDeclLine, Dw.FormData1, 42)
            .A(Dw.AtLocation, Dw.FormExprloc, Expr(Dw.OpAddr, 0xffffffff82000000));
        var fn = u.Add(Dw.TagSubprogram).Name("do_work").Type(i32).A(Dw.AtExternal, Dw.FormFlagPresent, null)
            .A(Dw.AtPrototyped, Dw.FormFlagPresent, null).A(Dw.AtDeclFile, Dw.FormData1, 1).A(Dw.AtDeclLine, Dw.FormData1, 50)
            .A(Dw.AtLowPc, Dw.FormAddr, 0xffffffff81000100UL).A(Dw.AtHighPc, Dw.FormData4, 0x40);
        fn.Add(Dw.TagFormalParameter).Name("list").Type(listPtr);
        fn.Add(Dw.TagFormalParameter).Name("count").Type(i32);
        fn.Add(Dw.TagVariable).Name("local").Type(i32);
        u.Ranges.Add((0xffffffff81000100, 0xffffffff81000140));
        lines.Start(0xffffffff81000100).Row(0xffffffff81000100, w.Version >= 5 ? 1 : 1, 50).Row(0xffffffff81000108, w.Version >= 5 ? 2 : 2, 7)
            .Row(0xffffffff81000110, 1, 52).Row(0xffffffff81000120, 1, 53).Row(0xffffffff81000120, 1, 60, stmt: false).End(0xffffffff81000140);
        return u;
    }

    /// <summary>DW_OP_addr address.</summary>
    public static byte[] Expr(byte op, ulong address) => [op, .. BitConverter.GetBytes(address)];

    /// <summary>A bit field at <paramref name="bit"/> of a 4-byte unit at offset 0, in the encoding of the writer's version.</summary>
    private static void BitField(DwarfWriter w, DieNode parent, string name, DieNode type, int bit, int size)
    {
        var m = parent.Add(Dw.TagMember).Name(name).Type(type).A(Dw.AtBitSize, Dw.FormData1, size);
        if (w.Version >= 4)
        {
            m.A(Dw.AtDataBitOffset, Dw.FormData1, bit);
        }
        else
        {
            // DWARF 2/3: bits from the most significant end of a byte_size storage unit.
            m.A(Dw.AtByteSize, Dw.FormData1, 4).A(Dw.AtBitOffset, Dw.FormData1, 32 - bit - size);
            m.A(Dw.AtDataMemberLocation, w.Version == 2 ? Dw.FormBlock1 : Dw.FormData1, w.Version == 2 ? (object)new byte[] { Dw.OpPlusUconst, 0 } : 0);
        }
    }
}
