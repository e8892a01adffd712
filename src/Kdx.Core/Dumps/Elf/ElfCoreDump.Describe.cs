using System.Globalization;
using Kdx.Core.Elf;

namespace Kdx.Core.Dumps.Elf;

/// <summary>
/// <c>help -D</c> for ELF dumps: the sections crash prints (netdump.c netdump_memory_dump): its
/// vmcore_data summary, then Elf64_Ehdr, each Elf64_Phdr, section 0 when e_phnum is PN_XNUM, and each
/// Elf64_Nhdr, with crash's field names and value formats. crash's pointers into its own memory are left out.
/// </summary>
public sealed partial class ElfCoreDump
{
    /// <inheritdoc/>
    public override DumpDescription Describe()
    {
        var root = new DumpDescription(FormatName);
        DescribeSummary(root.Section("vmcore_data"));
        DescribeFileHeader(root.Section("Elf64_Ehdr"), _elf.Header);
        foreach (var ph in _elf.ProgramHeaders)
        {
            DescribeProgramHeader(root.Section("Elf64_Phdr"), ph);
        }

        if (_elf.Header.ProgramHeaderCountField == ElfConstants.PnXnum && _elf.Sections.Count > 0)
        {
            DescribeSection0(root.Section("Elf64_Shdr"), _elf.Sections[0]);
        }

        foreach (var n in NoteDetails)
        {
            var s = root.Section("Elf64_Nhdr");
            s.Add("n_namesz", $"{n.Note.NameSize} (\"{n.Note.Name}\")");
            s.Add("n_descsz", n.Note.Descriptor.Length.ToString(CultureInfo.InvariantCulture));
            s.Add("n_type", $"{n.Note.Type:x} ({CrashNoteTypeName(n.Kind)})");
        }

        return root;
    }

    /// <summary>The label crash prints after n_type.</summary>
    public static string CrashNoteTypeName(ElfCoreNoteKind kind) => kind switch
    {
        ElfCoreNoteKind.PrStatus => "NT_PRSTATUS",
        ElfCoreNoteKind.FpRegSet => "NT_FPREGSET",
        ElfCoreNoteKind.PrPsInfo => "NT_PRPSINFO",
        ElfCoreNoteKind.TaskStruct => "NT_TASKSTRUCT",
        ElfCoreNoteKind.VmcoreDeviceDump => "NT_VMCOREDD",
        ElfCoreNoteKind.QemuCpuState => "QEMUCPUState",
        ElfCoreNoteKind.VmcoreInfo or ElfCoreNoteKind.EraseInfo => "unused",
        ElfCoreNoteKind.Xen => "unknown Xen n_type",
        _ => "?",
    };

    private void DescribeSummary(DumpDescription s)
    {
        var h = _elf.Header;

        // crash calls a dump "kdump" when its second program header's data is not page-aligned or has p_align 0.
        bool kdumpStyle = _elf.ProgramHeaders.Count < 2 || _elf.ProgramHeaders[1].Offset % 4096 != 0 || _elf.ProgramHeaders[1].Align == 0;
        s.Add("flags", kdumpStyle ? "c0 (KDUMP_LOCAL|KDUMP_ELF64)" : "9 (NETDUMP_LOCAL|NETDUMP_ELF64)");
        // crash reads everything before the first PT_LOAD's data as "the header" (netdump.c resize_elf_header).
        ulong headerSize = _loads.Where(p => p.Offset != 0).Select(p => p.Offset).DefaultIfEmpty(0UL).Min();
        s.Add("header_size", Dec(headerSize));
        s.Add("num_pt_load_segments", Dec((ulong)_loads.Length));
        for (int i = 0; i < _loads.Length; i++)
        {
            var ph = _loads[i];
            var seg = s.Section($"pt_load_segment[{i}]");
            seg.Add("file_offset", Hex(ph.Offset));
            seg.Add("phys_start", Hex(ph.PhysicalAddress));
            seg.Add("phys_end", Hex(ph.PhysicalAddress + ph.FileSize));
            seg.Add("zero_fill", Hex(ph.FileSize == ph.MemorySize ? 0 : ph.PhysicalAddress + ph.MemorySize));
        }

        s.Add("num_prstatus_notes", Dec((ulong)_notes.Count(n => KindOf(n) == ElfCoreNoteKind.PrStatus)));
        s.Add("num_qemu_notes", Dec((ulong)_notes.Count(QemuNote.IsQemuNote)));
        var info = _notes.FirstOrDefault(n => n.Name == "VMCOREINFO");
        s.Add("size_vmcoreinfo", Dec((ulong)(info?.Descriptor.Length ?? 0)));
        if (TruncatedAt is { } t)
        {
            s.Add("truncated_at", Dec((ulong)t));
        }
    }

    private static void DescribeFileHeader(DumpDescription s, ElfHeader h)
    {
        s.Add("e_ident", "\\177ELF");
        s.Add("e_ident[EI_CLASS]", $"{h.Class} ({(h.Class == 1 ? "ELFCLASS32" : h.Class == 2 ? "ELFCLASS64" : "?")})");
        s.Add("e_ident[EI_DATA]", $"{h.Data} ({(h.Data == 1 ? "ELFDATA2LSB" : h.Data == 2 ? "ELFDATA2MSB" : "?")})");
        s.Add("e_ident[EI_VERSION]", $"{h.IdentVersion} ({(h.IdentVersion == 1 ? "EV_CURRENT" : "?")})");
        s.Add("e_ident[EI_OSABI]", $"{h.OsAbi} ({OsAbiName(h.OsAbi)})");
        s.Add("e_ident[EI_ABIVERSION]", Dec(h.AbiVersion));
        s.Add("e_type", $"{h.Type} ({TypeName(h.Type)})");
        s.Add("e_machine", $"{h.Machine} ({MachineName(h.Machine)})");
        s.Add("e_version", h.Version == 1 ? "1 (EV_CURRENT)" : Dec(h.Version) + " ");
        s.Add("e_entry", Hex(h.Entry));
        s.Add("e_phoff", Hex(h.ProgramHeaderOffset));
        s.Add("e_shoff", Hex(h.SectionHeaderOffset));
        s.Add("e_flags", Hex(h.Flags));
        s.Add("e_ehsize", Hex(h.HeaderSize));
        s.Add("e_phentsize", Hex(h.ProgramHeaderEntrySize));
        s.Add("e_phnum", Hex(h.ProgramHeaderCountField));
        s.Add("e_shentsize", Hex(h.SectionHeaderEntrySize));
        s.Add("e_shnum", Hex(h.SectionHeaderCountField));
        s.Add("e_shstrndx", Hex(h.SectionNameIndexField));
    }

    private static void DescribeProgramHeader(DumpDescription s, ElfProgramHeader ph)
    {
        s.Add("p_type", $"{ph.Type:x} ({SegmentTypeName(ph.Type)})");
        s.Add("p_offset", $"{ph.Offset} ({ph.Offset:x})");
        s.Add("p_vaddr", Hex(ph.VirtualAddress));
        s.Add("p_paddr", Hex(ph.PhysicalAddress));
        s.Add("p_filesz", $"{ph.FileSize} ({ph.FileSize:x})");
        s.Add("p_memsz", $"{ph.MemorySize} ({ph.MemorySize:x})");
        var flags = new List<string>(3);
        if ((ph.Flags & ElfConstants.PfX) != 0)
        {
            flags.Add("PF_X");
        }

        if ((ph.Flags & ElfConstants.PfW) != 0)
        {
            flags.Add("PF_W");
        }

        if ((ph.Flags & ElfConstants.PfR) != 0)
        {
            flags.Add("PF_R");
        }

        s.Add("p_flags", $"{ph.Flags:x} ({string.Join('|', flags)})");
        s.Add("p_align", Dec(ph.Align));
    }

    private static void DescribeSection0(DumpDescription s, ElfSection sh)
    {
        s.Add("sh_name", Hex(sh.NameOffset));
        s.Add("sh_type", sh.Type == ElfConstants.ShtNull ? "0 (SHT_NULL)" : Hex(sh.Type));
        s.Add("sh_flags", Hex(sh.Flags));
        s.Add("sh_addr", Hex(sh.Address));
        s.Add("sh_offset", Hex(sh.Offset));
        s.Add("sh_size", Hex(sh.Size));
        s.Add("sh_link", Hex(sh.Link));
        s.Add("sh_info", $"{sh.Info:x} ({sh.Info})");
        s.Add("sh_addralign", Hex(sh.AddressAlign));
        s.Add("sh_entsize", Hex(sh.EntrySize));
    }

    private static string OsAbiName(byte abi) => abi switch
    {
        0 => "ELFOSABI_SYSV",
        1 => "ELFOSABI_HPUX",
        3 => "ELFOSABI_LINUX",
        97 => "ELFOSABI_ARM",
        255 => "ELFOSABI_STANDALONE",
        _ => "?",
    };

    private static string TypeName(ushort type) => type switch
    {
        0 => "ET_NONE",
        1 => "ET_REL",
        2 => "ET_EXEC",
        3 => "ET_DYN",
        4 => "ET_CORE",
        _ => "?",
    };

    private static string MachineName(ushort machine) => machine switch
    {
        ElfConstants.EmI386 => "EM_386",
        ElfConstants.EmX86_64 => "EM_X86_64",
        _ => "unsupported",
    };

    private static string SegmentTypeName(uint type) => type switch
    {
        ElfConstants.PtNull => "PT_NULL",
        ElfConstants.PtLoad => "PT_LOAD",
        ElfConstants.PtDynamic => "PT_DYNAMIC",
        ElfConstants.PtInterp => "PT_INTERP",
        ElfConstants.PtNote => "PT_NOTE",
        ElfConstants.PtShlib => "PT_SHLIB",
        ElfConstants.PtPhdr => "PT_PHDR",
        _ => "?",
    };

    private static string Hex(ulong v) => v.ToString("x", CultureInfo.InvariantCulture);

    private static string Dec(ulong v) => v.ToString(CultureInfo.InvariantCulture);
}
