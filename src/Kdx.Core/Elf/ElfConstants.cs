namespace Kdx.Core.Elf;

/// <summary>Numbers of the ELF specification that Kdx uses (values from the System V gABI and glibc's elf.h).</summary>
public static class ElfConstants
{
    /// <summary>The size of Elf64_Ehdr.</summary>
    public const int HeaderSize = 64;

    /// <summary>The size of Elf64_Phdr.</summary>
    public const int ProgramHeaderSize = 56;

    /// <summary>The size of Elf64_Shdr.</summary>
    public const int SectionHeaderSize = 64;

    /// <summary>The size of Elf64_Sym.</summary>
    public const int SymbolSize = 24;

    /// <summary>The size of Elf64_Chdr, the header of an SHF_COMPRESSED section.</summary>
    public const int CompressionHeaderSize = 24;

    /// <summary>EI_CLASS value of 64-bit ELF.</summary>
    public const byte ElfClass64 = 2;

    /// <summary>EI_DATA value of little-endian ELF.</summary>
    public const byte ElfData2Lsb = 1;

    /// <summary>EV_CURRENT.</summary>
    public const byte EvCurrent = 1;

    /// <summary>e_type ET_REL: a relocatable object (a kernel module).</summary>
    public const ushort EtRel = 1;

    /// <summary>e_type ET_EXEC: an executable (a vmlinux).</summary>
    public const ushort EtExec = 2;

    /// <summary>e_type ET_DYN: a shared object.</summary>
    public const ushort EtDyn = 3;

    /// <summary>e_type ET_CORE: a core file (a vmcore).</summary>
    public const ushort EtCore = 4;

    /// <summary>e_machine EM_386.</summary>
    public const ushort EmI386 = 3;

    /// <summary>e_machine EM_X86_64.</summary>
    public const ushort EmX86_64 = 62;

    /// <summary>e_phnum value meaning "the real count is in section 0's sh_info" (PN_XNUM).</summary>
    public const ushort PnXnum = 0xffff;

    /// <summary>st_shndx / e_shstrndx SHN_UNDEF.</summary>
    public const ushort ShnUndef = 0;

    /// <summary>First reserved section index (SHN_LORESERVE).</summary>
    public const ushort ShnLoReserve = 0xff00;

    /// <summary>st_shndx SHN_ABS: an absolute symbol.</summary>
    public const ushort ShnAbs = 0xfff1;

    /// <summary>st_shndx SHN_COMMON: a common symbol.</summary>
    public const ushort ShnCommon = 0xfff2;

    /// <summary>SHN_XINDEX: the real index is elsewhere (section 0's sh_link, or SHT_SYMTAB_SHNDX).</summary>
    public const ushort ShnXindex = 0xffff;

    /// <summary>p_type PT_NULL.</summary>
    public const uint PtNull = 0;

    /// <summary>p_type PT_LOAD.</summary>
    public const uint PtLoad = 1;

    /// <summary>p_type PT_DYNAMIC.</summary>
    public const uint PtDynamic = 2;

    /// <summary>p_type PT_INTERP.</summary>
    public const uint PtInterp = 3;

    /// <summary>p_type PT_NOTE.</summary>
    public const uint PtNote = 4;

    /// <summary>p_type PT_SHLIB.</summary>
    public const uint PtShlib = 5;

    /// <summary>p_type PT_PHDR.</summary>
    public const uint PtPhdr = 6;

    /// <summary>p_type PT_TLS.</summary>
    public const uint PtTls = 7;

    /// <summary>p_flags PF_X.</summary>
    public const uint PfX = 1;

    /// <summary>p_flags PF_W.</summary>
    public const uint PfW = 2;

    /// <summary>p_flags PF_R.</summary>
    public const uint PfR = 4;

    /// <summary>sh_type SHT_NULL.</summary>
    public const uint ShtNull = 0;

    /// <summary>sh_type SHT_PROGBITS.</summary>
    public const uint ShtProgbits = 1;

    /// <summary>sh_type SHT_SYMTAB.</summary>
    public const uint ShtSymtab = 2;

    /// <summary>sh_type SHT_STRTAB.</summary>
    public const uint ShtStrtab = 3;

    /// <summary>sh_type SHT_NOTE.</summary>
    public const uint ShtNote = 7;

    /// <summary>sh_type SHT_NOBITS: occupies no file space (.bss).</summary>
    public const uint ShtNobits = 8;

    /// <summary>sh_type SHT_DYNSYM.</summary>
    public const uint ShtDynsym = 11;

    /// <summary>sh_type SHT_SYMTAB_SHNDX: extended section indexes of a symbol table.</summary>
    public const uint ShtSymtabShndx = 18;

    /// <summary>sh_flags SHF_WRITE.</summary>
    public const ulong ShfWrite = 0x1;

    /// <summary>sh_flags SHF_ALLOC.</summary>
    public const ulong ShfAlloc = 0x2;

    /// <summary>sh_flags SHF_EXECINSTR.</summary>
    public const ulong ShfExecInstr = 0x4;

    /// <summary>sh_flags SHF_TLS.</summary>
    public const ulong ShfTls = 0x400;

    /// <summary>sh_flags SHF_COMPRESSED: the contents start with an Elf64_Chdr.</summary>
    public const ulong ShfCompressed = 0x800;

    /// <summary>ch_type ELFCOMPRESS_ZLIB.</summary>
    public const uint ElfCompressZlib = 1;

    /// <summary>ch_type ELFCOMPRESS_ZSTD.</summary>
    public const uint ElfCompressZstd = 2;
}

/// <summary>st_info's type half (ELF64_ST_TYPE).</summary>
public enum ElfSymbolType : byte
{
    /// <summary>STT_NOTYPE.</summary>
    NoType = 0,

    /// <summary>STT_OBJECT: a variable.</summary>
    Object = 1,

    /// <summary>STT_FUNC: a function.</summary>
    Func = 2,

    /// <summary>STT_SECTION: a section's own symbol.</summary>
    Section = 3,

    /// <summary>STT_FILE: a source file name.</summary>
    File = 4,

    /// <summary>STT_COMMON: a common block.</summary>
    Common = 5,

    /// <summary>STT_TLS: a thread-local variable.</summary>
    Tls = 6,

    /// <summary>STT_GNU_IFUNC: an indirect function.</summary>
    GnuIfunc = 10,
}

/// <summary>st_info's binding half (ELF64_ST_BIND).</summary>
public enum ElfSymbolBinding : byte
{
    /// <summary>STB_LOCAL.</summary>
    Local = 0,

    /// <summary>STB_GLOBAL.</summary>
    Global = 1,

    /// <summary>STB_WEAK.</summary>
    Weak = 2,

    /// <summary>STB_GNU_UNIQUE.</summary>
    GnuUnique = 10,
}
