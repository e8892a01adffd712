namespace Kdx.Fuzz.Dwarf;

/// <summary>
/// DWARF numbers for the test writer, typed again from the DWARF 5 standard (§7) rather than taken
/// from the reader, so a wrong constant in the reader cannot hide behind the same one here.
/// </summary>
public static class Dw
{
    // Tags (table 7.3).
    public const ushort TagArrayType = 0x01;
    public const ushort TagEnumerationType = 0x04;
    public const ushort TagFormalParameter = 0x05;
    public const ushort TagMember = 0x0d;
    public const ushort TagPointerType = 0x0f;
    public const ushort TagCompileUnit = 0x11;
    public const ushort TagStructureType = 0x13;
    public const ushort TagSubroutineType = 0x15;
    public const ushort TagTypedef = 0x16;
    public const ushort TagUnionType = 0x17;
    public const ushort TagUnspecifiedParameters = 0x18;
    public const ushort TagLexicalBlock = 0x0b;
    public const ushort TagSubrangeType = 0x21;
    public const ushort TagBaseType = 0x24;
    public const ushort TagConstType = 0x26;
    public const ushort TagEnumerator = 0x28;
    public const ushort TagSubprogram = 0x2e;
    public const ushort TagVariable = 0x34;
    public const ushort TagVolatileType = 0x35;
    public const ushort TagRestrictType = 0x37;
    public const ushort TagTypeUnit = 0x41;
    public const ushort TagAtomicType = 0x47;

    // Attributes (table 7.5).
    public const ushort AtSibling = 0x01;
    public const ushort AtLocation = 0x02;
    public const ushort AtName = 0x03;
    public const ushort AtByteSize = 0x0b;
    public const ushort AtBitOffset = 0x0c;
    public const ushort AtBitSize = 0x0d;
    public const ushort AtStmtList = 0x10;
    public const ushort AtLowPc = 0x11;
    public const ushort AtHighPc = 0x12;
    public const ushort AtLanguage = 0x13;
    public const ushort AtCompDir = 0x1b;
    public const ushort AtConstValue = 0x1c;
    public const ushort AtInline = 0x20;
    public const ushort AtLowerBound = 0x22;
    public const ushort AtProducer = 0x25;
    public const ushort AtPrototyped = 0x27;
    public const ushort AtUpperBound = 0x2f;
    public const ushort AtAbstractOrigin = 0x31;
    public const ushort AtCount = 0x37;
    public const ushort AtDataMemberLocation = 0x38;
    public const ushort AtDeclFile = 0x3a;
    public const ushort AtDeclLine = 0x3b;
    public const ushort AtDeclaration = 0x3c;
    public const ushort AtEncoding = 0x3e;
    public const ushort AtExternal = 0x3f;
    public const ushort AtSpecification = 0x47;
    public const ushort AtType = 0x49;
    public const ushort AtRanges = 0x55;
    public const ushort AtDataBitOffset = 0x6b;
    public const ushort AtStrOffsetsBase = 0x72;
    public const ushort AtAddrBase = 0x73;
    public const ushort AtRnglistsBase = 0x74;
    public const ushort AtLoclistsBase = 0x8c;

    // Forms (table 7.6).
    public const ushort FormAddr = 0x01;
    public const ushort FormBlock2 = 0x03;
    public const ushort FormBlock4 = 0x04;
    public const ushort FormData2 = 0x05;
    public const ushort FormData4 = 0x06;
    public const ushort FormData8 = 0x07;
    public const ushort FormString = 0x08;
    public const ushort FormBlock = 0x09;
    public const ushort FormBlock1 = 0x0a;
    public const ushort FormData1 = 0x0b;
    public const ushort FormFlag = 0x0c;
    public const ushort FormSdata = 0x0d;
    public const ushort FormStrp = 0x0e;
    public const ushort FormUdata = 0x0f;
    public const ushort FormRefAddr = 0x10;
    public const ushort FormRef1 = 0x11;
    public const ushort FormRef2 = 0x12;
    public const ushort FormRef4 = 0x13;
    public const ushort FormRef8 = 0x14;
    public const ushort FormRefUdata = 0x15;
    public const ushort FormIndirect = 0x16;
    public const ushort FormSecOffset = 0x17;
    public const ushort FormExprloc = 0x18;
    public const ushort FormFlagPresent = 0x19;
    public const ushort FormStrx = 0x1a;
    public const ushort FormAddrx = 0x1b;
    public const ushort FormData16 = 0x1e;
    public const ushort FormLineStrp = 0x1f;
    public const ushort FormRefSig8 = 0x20;
    public const ushort FormImplicitConst = 0x21;
    public const ushort FormLoclistx = 0x22;
    public const ushort FormRnglistx = 0x23;
    public const ushort FormStrx1 = 0x25;
    public const ushort FormStrx2 = 0x26;
    public const ushort FormStrx3 = 0x27;
    public const ushort FormStrx4 = 0x28;
    public const ushort FormAddrx1 = 0x29;
    public const ushort FormAddrx2 = 0x2a;
    public const ushort FormAddrx3 = 0x2b;
    public const ushort FormAddrx4 = 0x2c;

    // Base type encodings (table 7.11).
    public const byte AteBoolean = 0x02;
    public const byte AteFloat = 0x04;
    public const byte AteSigned = 0x05;
    public const byte AteSignedChar = 0x06;
    public const byte AteUnsigned = 0x07;
    public const byte AteUnsignedChar = 0x08;

    // Unit types (table 7.2).
    public const byte UtCompile = 0x01;
    public const byte UtType = 0x02;

    // Expression operations (table 7.9).
    public const byte OpAddr = 0x03;
    public const byte OpPlusUconst = 0x23;
    public const byte OpAddrx = 0xa1;
}
