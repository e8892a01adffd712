namespace Kdx.Core.Elf;

/// <summary>
/// The ELF file header (Elf64_Ehdr, glibc elf.h) with the raw field values, plus the counts after
/// extended numbering is resolved (PN_XNUM, e_shnum = 0, SHN_XINDEX take their values from section 0).
/// </summary>
public sealed record ElfHeader
{
    /// <summary>The 16 bytes of e_ident.</summary>
    public required ReadOnlyMemory<byte> Ident { get; init; }

    /// <summary>e_ident[EI_CLASS]: 2 for 64-bit.</summary>
    public byte Class => Ident.Span[4];

    /// <summary>e_ident[EI_DATA]: 1 for little-endian.</summary>
    public byte Data => Ident.Span[5];

    /// <summary>e_ident[EI_VERSION].</summary>
    public byte IdentVersion => Ident.Span[6];

    /// <summary>e_ident[EI_OSABI].</summary>
    public byte OsAbi => Ident.Span[7];

    /// <summary>e_ident[EI_ABIVERSION].</summary>
    public byte AbiVersion => Ident.Span[8];

    /// <summary>e_type: ET_REL, ET_EXEC, ET_DYN or ET_CORE.</summary>
    public ushort Type { get; init; }

    /// <summary>e_machine, e.g. 62 (EM_X86_64).</summary>
    public ushort Machine { get; init; }

    /// <summary>e_version.</summary>
    public uint Version { get; init; }

    /// <summary>e_entry.</summary>
    public ulong Entry { get; init; }

    /// <summary>e_phoff: the file offset of the program header table.</summary>
    public ulong ProgramHeaderOffset { get; init; }

    /// <summary>e_shoff: the file offset of the section header table.</summary>
    public ulong SectionHeaderOffset { get; init; }

    /// <summary>e_flags.</summary>
    public uint Flags { get; init; }

    /// <summary>e_ehsize as written (QEMU 7.2 writes 8; Kdx always reads 64 bytes).</summary>
    public ushort HeaderSize { get; init; }

    /// <summary>e_phentsize.</summary>
    public ushort ProgramHeaderEntrySize { get; init; }

    /// <summary>e_phnum as written (0xffff = PN_XNUM).</summary>
    public ushort ProgramHeaderCountField { get; init; }

    /// <summary>e_shentsize.</summary>
    public ushort SectionHeaderEntrySize { get; init; }

    /// <summary>e_shnum as written (0 with a non-zero e_shoff means the count is in section 0).</summary>
    public ushort SectionHeaderCountField { get; init; }

    /// <summary>e_shstrndx as written (0xffff = SHN_XINDEX).</summary>
    public ushort SectionNameIndexField { get; init; }

    /// <summary>The number of program headers after PN_XNUM is resolved.</summary>
    public int ProgramHeaderCount { get; init; }

    /// <summary>The number of section headers after extended numbering is resolved.</summary>
    public int SectionHeaderCount { get; init; }

    /// <summary>The index of the section name table after SHN_XINDEX is resolved (0: none).</summary>
    public int SectionNameIndex { get; init; }
}

/// <summary>One program header (Elf64_Phdr, glibc elf.h).</summary>
/// <param name="Index">Its position in the program header table.</param>
/// <param name="Type">p_type, e.g. 1 = PT_LOAD, 4 = PT_NOTE.</param>
/// <param name="Flags">p_flags (PF_X 1, PF_W 2, PF_R 4).</param>
/// <param name="Offset">p_offset: where the segment's bytes start in the file.</param>
/// <param name="VirtualAddress">p_vaddr.</param>
/// <param name="PhysicalAddress">p_paddr.</param>
/// <param name="FileSize">p_filesz: the bytes present in the file.</param>
/// <param name="MemorySize">p_memsz: the bytes the segment covers in memory.</param>
/// <param name="Align">p_align.</param>
public readonly record struct ElfProgramHeader(
    int Index, uint Type, uint Flags, ulong Offset, ulong VirtualAddress, ulong PhysicalAddress, ulong FileSize, ulong MemorySize, ulong Align)
{
    /// <summary>Whether this is a PT_LOAD.</summary>
    public bool IsLoad => Type == ElfConstants.PtLoad;

    /// <summary>Whether this is a PT_NOTE.</summary>
    public bool IsNote => Type == ElfConstants.PtNote;
}

/// <summary>One section header (Elf64_Shdr, glibc elf.h) with its name resolved.</summary>
/// <param name="Index">Its position in the section header table.</param>
/// <param name="Name">The name from the section name table ("" without one, "&lt;corrupt&gt;" for a bad sh_name).</param>
/// <param name="NameOffset">sh_name.</param>
/// <param name="Type">sh_type, e.g. 1 = SHT_PROGBITS, 8 = SHT_NOBITS.</param>
/// <param name="Flags">sh_flags (SHF_WRITE 1, SHF_ALLOC 2, SHF_EXECINSTR 4, SHF_COMPRESSED 0x800).</param>
/// <param name="Address">sh_addr.</param>
/// <param name="Offset">sh_offset.</param>
/// <param name="Size">sh_size (in the file, i.e. compressed for SHF_COMPRESSED).</param>
/// <param name="Link">sh_link.</param>
/// <param name="Info">sh_info.</param>
/// <param name="AddressAlign">sh_addralign.</param>
/// <param name="EntrySize">sh_entsize.</param>
public sealed record ElfSection(
    int Index, string Name, uint NameOffset, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, uint Link, uint Info, ulong AddressAlign, ulong EntrySize)
{
    /// <summary>Whether the section occupies memory at run time (SHF_ALLOC).</summary>
    public bool IsAlloc => (Flags & ElfConstants.ShfAlloc) != 0;

    /// <summary>Whether the section's contents are compressed (SHF_COMPRESSED).</summary>
    public bool IsCompressed => (Flags & ElfConstants.ShfCompressed) != 0;

    /// <summary>Whether the section has bytes in the file (everything but SHT_NOBITS and SHT_NULL).</summary>
    public bool HasContents => Type != ElfConstants.ShtNobits && Type != ElfConstants.ShtNull;
}
