namespace Kdx.Core.Debug.Dwarf;

// Numbers from the DWARF 5 standard (dwarfstd.org, section 7) and the GNU extensions in
// binutils include/dwarf2.def; only the ones the reader uses are named.

/// <summary>DW_TAG_* values (DWARF 5 §7.5.3, table 7.3).</summary>
internal static class DwTag
{
    public const ushort ArrayType = 0x01;
    public const ushort ClassType = 0x02;
    public const ushort EnumerationType = 0x04;
    public const ushort FormalParameter = 0x05;
    public const ushort Member = 0x0d;
    public const ushort PointerType = 0x0f;
    public const ushort ReferenceType = 0x10;
    public const ushort CompileUnit = 0x11;
    public const ushort StructureType = 0x13;
    public const ushort SubroutineType = 0x15;
    public const ushort Typedef = 0x16;
    public const ushort UnionType = 0x17;
    public const ushort UnspecifiedParameters = 0x18;
    public const ushort Variant = 0x19;
    public const ushort InlinedSubroutine = 0x1d;
    public const ushort SubrangeType = 0x21;
    public const ushort BaseType = 0x24;
    public const ushort ConstType = 0x26;
    public const ushort Enumerator = 0x28;
    public const ushort Subprogram = 0x2e;
    public const ushort Variable = 0x34;
    public const ushort VolatileType = 0x35;
    public const ushort RestrictType = 0x37;
    public const ushort TypeUnit = 0x41;
    public const ushort UnspecifiedType = 0x3b;
    public const ushort PartialUnit = 0x3c;
    public const ushort SharedType = 0x40;
    public const ushort AtomicType = 0x47;
    public const ushort SkeletonUnit = 0x4a;
}

/// <summary>DW_AT_* values (DWARF 5 §7.5.4, table 7.5).</summary>
internal static class DwAt
{
    public const ushort Sibling = 0x01;
    public const ushort Location = 0x02;
    public const ushort Name = 0x03;
    public const ushort ByteSize = 0x0b;
    public const ushort BitOffset = 0x0c; // DWARF 2/3; big-endian-style, from the top of the storage unit
    public const ushort BitSize = 0x0d;
    public const ushort StmtList = 0x10;
    public const ushort LowPc = 0x11;
    public const ushort HighPc = 0x12;
    public const ushort Language = 0x13;
    public const ushort CompDir = 0x1b;
    public const ushort ConstValue = 0x1c;
    public const ushort Inline = 0x20;
    public const ushort Prototyped = 0x27;
    public const ushort LowerBound = 0x22;
    public const ushort Producer = 0x25;
    public const ushort Count = 0x37;
    public const ushort UpperBound = 0x2f;
    public const ushort AbstractOrigin = 0x31;
    public const ushort DataMemberLocation = 0x38;
    public const ushort DeclFile = 0x3a;
    public const ushort DeclLine = 0x3b;
    public const ushort Declaration = 0x3c;
    public const ushort Encoding = 0x3e;
    public const ushort External = 0x3f;
    public const ushort Specification = 0x47;
    public const ushort Type = 0x49;
    public const ushort Ranges = 0x55;
    public const ushort DataBitOffset = 0x6b;
    public const ushort StrOffsetsBase = 0x72;
    public const ushort AddrBase = 0x73;
    public const ushort RnglistsBase = 0x74;
    public const ushort LoclistsBase = 0x8c;
    public const ushort GnuAddrBase = 0x2133; // pre-DWARF 5 split DWARF
    public const ushort GnuRangesBase = 0x2132;
}

/// <summary>DW_FORM_* values (DWARF 5 §7.5.6, table 7.6) and GNU extensions.</summary>
internal static class DwForm
{
    public const ushort Addr = 0x01;
    public const ushort Block2 = 0x03;
    public const ushort Block4 = 0x04;
    public const ushort Data2 = 0x05;
    public const ushort Data4 = 0x06;
    public const ushort Data8 = 0x07;
    public const ushort String = 0x08;
    public const ushort Block = 0x09;
    public const ushort Block1 = 0x0a;
    public const ushort Data1 = 0x0b;
    public const ushort Flag = 0x0c;
    public const ushort Sdata = 0x0d;
    public const ushort Strp = 0x0e;
    public const ushort Udata = 0x0f;
    public const ushort RefAddr = 0x10;
    public const ushort Ref1 = 0x11;
    public const ushort Ref2 = 0x12;
    public const ushort Ref4 = 0x13;
    public const ushort Ref8 = 0x14;
    public const ushort RefUdata = 0x15;
    public const ushort Indirect = 0x16;
    public const ushort SecOffset = 0x17;
    public const ushort Exprloc = 0x18;
    public const ushort FlagPresent = 0x19;
    public const ushort Strx = 0x1a;
    public const ushort Addrx = 0x1b;
    public const ushort RefSup4 = 0x1c;
    public const ushort StrpSup = 0x1d;
    public const ushort Data16 = 0x1e;
    public const ushort LineStrp = 0x1f;
    public const ushort RefSig8 = 0x20;
    public const ushort ImplicitConst = 0x21;
    public const ushort Loclistx = 0x22;
    public const ushort Rnglistx = 0x23;
    public const ushort RefSup8 = 0x24;
    public const ushort Strx1 = 0x25;
    public const ushort Strx2 = 0x26;
    public const ushort Strx3 = 0x27;
    public const ushort Strx4 = 0x28;
    public const ushort Addrx1 = 0x29;
    public const ushort Addrx2 = 0x2a;
    public const ushort Addrx3 = 0x2b;
    public const ushort Addrx4 = 0x2c;
    public const ushort GnuAddrIndex = 0x1f01;
    public const ushort GnuStrIndex = 0x1f02;
    public const ushort GnuRefAlt = 0x1f20;
    public const ushort GnuStrpAlt = 0x1f21;
}

/// <summary>DW_UT_* unit types (DWARF 5 §7.5.1, table 7.2).</summary>
internal static class DwUt
{
    public const byte Compile = 0x01;
    public const byte Type = 0x02;
    public const byte Partial = 0x03;
    public const byte Skeleton = 0x04;
    public const byte SplitCompile = 0x05;
    public const byte SplitType = 0x06;
}

/// <summary>DW_ATE_* base type encodings (DWARF 5 §7.8, table 7.11).</summary>
internal static class DwAte
{
    public const byte Address = 0x01;
    public const byte Boolean = 0x02;
    public const byte ComplexFloat = 0x03;
    public const byte Float = 0x04;
    public const byte Signed = 0x05;
    public const byte SignedChar = 0x06;
    public const byte Unsigned = 0x07;
    public const byte UnsignedChar = 0x08;
    public const byte ImaginaryFloat = 0x09;
    public const byte PackedDecimal = 0x0a;
    public const byte NumericString = 0x0b;
    public const byte Edited = 0x0c;
    public const byte SignedFixed = 0x0d;
    public const byte UnsignedFixed = 0x0e;
    public const byte DecimalFloat = 0x0f;
    public const byte Utf = 0x10;
    public const byte Ucs = 0x11;
    public const byte Ascii = 0x12;
}

/// <summary>The few DW_OP_* operations needed for addresses and member offsets (DWARF 5 §7.7.1).</summary>
internal static class DwOp
{
    public const byte Addr = 0x03;
    public const byte Const1u = 0x08;
    public const byte Const2u = 0x0a;
    public const byte Const4u = 0x0c;
    public const byte Const8u = 0x0e;
    public const byte Constu = 0x10;
    public const byte Plus = 0x22;
    public const byte PlusUconst = 0x23;
    public const byte Lit0 = 0x30;
    public const byte Lit31 = 0x4f;
    public const byte Addrx = 0xa1;
    public const byte GnuAddrIndex = 0xfb;
}
