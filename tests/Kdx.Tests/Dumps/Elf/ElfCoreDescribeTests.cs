using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Elf;
using Kdx.Tests.Elf;

namespace Kdx.Tests.Dumps.Elf;

public class ElfCoreDescribeTests
{
    private static Dictionary<string, string?> Fields(DumpDescription section) =>
        section.Children.Where(c => c.Value is not null).ToDictionary(c => c.Name, c => c.Value);

    [Fact]
    public void Help_d_shows_crash_fields_for_a_kdump()
    {
        var w = Cores.Kdump();
        using var d = Cores.Open(w.Build());
        var root = d.Describe();
        root.Name.ShouldBe("ELF (kdump /proc/vmcore)");
        root.Children.Select(c => c.Name).ShouldBe(
            ["vmcore_data", "Elf64_Ehdr", "Elf64_Phdr", "Elf64_Phdr", "Elf64_Phdr", "Elf64_Phdr", "Elf64_Phdr", "Elf64_Nhdr", "Elf64_Nhdr", "Elf64_Nhdr"]);

        var summary = root.Children[0];
        var s = Fields(summary);
        s["flags"].ShouldBe("c0 (KDUMP_LOCAL|KDUMP_ELF64)");
        s["header_size"].ShouldBe("8192");
        s["num_pt_load_segments"].ShouldBe("4");
        s["num_prstatus_notes"].ShouldBe("2");
        s["num_qemu_notes"].ShouldBe("0");
        s["size_vmcoreinfo"].ShouldBe(Cores.VmcoreInfoText.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        s.ShouldNotContainKey("truncated_at");
        var seg0 = Fields(summary.Children.Single(c => c.Name == "pt_load_segment[0]"));
        seg0["file_offset"].ShouldBe("2000");
        seg0["phys_start"].ShouldBe("7400000");
        seg0["phys_end"].ShouldBe("7402000");
        seg0["zero_fill"].ShouldBe("0");

        var e = Fields(root.Children[1]);
        e["e_ident"].ShouldBe("\\177ELF");
        e["e_ident[EI_CLASS]"].ShouldBe("2 (ELFCLASS64)");
        e["e_ident[EI_DATA]"].ShouldBe("1 (ELFDATA2LSB)");
        e["e_ident[EI_VERSION]"].ShouldBe("1 (EV_CURRENT)");
        e["e_ident[EI_OSABI]"].ShouldBe("0 (ELFOSABI_SYSV)");
        e["e_ident[EI_ABIVERSION]"].ShouldBe("0");
        e["e_type"].ShouldBe("4 (ET_CORE)");
        e["e_machine"].ShouldBe("62 (EM_X86_64)");
        e["e_version"].ShouldBe("1 (EV_CURRENT)");
        e["e_entry"].ShouldBe("0");
        e["e_phoff"].ShouldBe("40");
        e["e_shoff"].ShouldBe("0");
        e["e_flags"].ShouldBe("0");
        e["e_ehsize"].ShouldBe("40");
        e["e_phentsize"].ShouldBe("38");
        e["e_phnum"].ShouldBe("5");
        e["e_shentsize"].ShouldBe("0");
        e["e_shnum"].ShouldBe("0");
        e["e_shstrndx"].ShouldBe("0");

        var note = Fields(root.Children[2]);
        note["p_type"].ShouldBe("4 (PT_NOTE)");
        note["p_offset"].ShouldBe("4096 (1000)");
        note["p_flags"].ShouldBe("0 ()");
        note["p_align"].ShouldBe("0");
        var load = Fields(root.Children[3]);
        load["p_type"].ShouldBe("1 (PT_LOAD)");
        load["p_offset"].ShouldBe("8192 (2000)");
        load["p_vaddr"].ShouldBe("ffffffffaa000000");
        load["p_paddr"].ShouldBe("7400000");
        load["p_filesz"].ShouldBe("8192 (2000)");
        load["p_memsz"].ShouldBe("8192 (2000)");
        load["p_flags"].ShouldBe("7 (PF_X|PF_W|PF_R)");

        var prstatus = Fields(root.Children[7]);
        prstatus["n_namesz"].ShouldBe("5 (\"CORE\")");
        prstatus["n_descsz"].ShouldBe("336");
        prstatus["n_type"].ShouldBe("1 (NT_PRSTATUS)");
        Fields(root.Children[9])["n_type"].ShouldBe("0 (unused)");
        Fields(root.Children[9])["n_namesz"].ShouldBe("11 (\"VMCOREINFO\")");
    }

    [Fact]
    public void Help_d_shows_section_0_of_a_pn_xnum_qemu_dump()
    {
        using var d = Cores.Open(Cores.Qemu(paging: false).Build());
        var root = d.Describe();
        var shdr = root.Children.Single(c => c.Name == "Elf64_Shdr");
        var s = Fields(shdr);
        s["sh_type"].ShouldBe("0 (SHT_NULL)");
        s["sh_info"].ShouldBe("3 (3)");
        s["sh_name"].ShouldBe("0");
        Fields(root.Children[0])["num_qemu_notes"].ShouldBe("2");
        Fields(root.Children[1])["e_ehsize"].ShouldBe("8");
        Fields(root.Children[1])["e_phnum"].ShouldBe("ffff");
        root.Children.Where(c => c.Name == "Elf64_Nhdr").Select(n => Fields(n)["n_type"])
            .ShouldBe(["1 (NT_PRSTATUS)", "1 (NT_PRSTATUS)", "0 (QEMUCPUState)", "0 (QEMUCPUState)", "0 (unused)"]);
    }

    [Fact]
    public void Help_d_shows_zero_fill_of_filtered_segments()
    {
        using var d = Cores.Open(Cores.Makedumpfile().Build());
        var seg = Fields(d.Describe().Children[0].Children.Single(c => c.Name == "pt_load_segment[0]"));
        seg["phys_end"].ShouldBe("2000");
        seg["zero_fill"].ShouldBe("4000");
    }

    [Fact]
    public void Note_details_decode_every_prstatus_field()
    {
        using var d = Cores.Open(Cores.Kdump().Build());
        var notes = d.NoteDetails;
        notes.Select(n => n.Kind).ShouldBe([ElfCoreNoteKind.PrStatus, ElfCoreNoteKind.PrStatus, ElfCoreNoteKind.VmcoreInfo]);
        notes[1].Index.ShouldBe(1);
        var p = notes[0].PrStatus.ShouldNotBeNull();
        p.SigNo.ShouldBe(11);
        p.SigCode.ShouldBe(22);
        p.SigErrno.ShouldBe(33);
        p.CurSig.ShouldBe((short)44);
        p.SigPend.ShouldBe(0x5555UL);
        p.SigHold.ShouldBe(0x6666UL);
        p.Pid.ShouldBe(121);
        p.PPid.ShouldBe(7);
        p.PGrp.ShouldBe(8);
        p.Sid.ShouldBe(9);
        p.UTime.ShouldBe(new PrTime(100, 101));
        p.STime.ShouldBe(new PrTime(102, 103));
        p.CUTime.ShouldBe(new PrTime(104, 105));
        p.CSTime.ShouldBe(new PrTime(106, 107));
        p.Registers["r15"].ShouldBe(0x1000UL);
        p.Registers["gs"].ShouldBe(0x1000UL + 26);
        p.FpValid.ShouldBe(1);
        notes[0].Qemu.ShouldBeNull();
        notes[0].Text.ShouldBeNull();
        notes[2].Text.ShouldBe(Cores.VmcoreInfoText);
        notes[2].Note.NameSize.ShouldBe(11u);
        d.NoteDetails.ShouldBeSameAs(notes);
    }

    [Fact]
    public void Note_details_decode_qemu_cpu_state()
    {
        using var d = Cores.Open(Cores.Qemu(paging: false).Build());
        var q = d.NoteDetails.Where(n => n.Kind == ElfCoreNoteKind.QemuCpuState).ToList();
        q.Count.ShouldBe(2);
        q[0].Qemu.ShouldNotBeNull()["rbx"].ShouldBe(0x101UL);
        d.NoteDetails[0].PrStatus!.Pid.ShouldBe(1);
    }

    [Theory]
    [InlineData("CORE", 1u, ElfCoreNoteKind.PrStatus, "NT_PRSTATUS")]
    [InlineData("LINUX", 1u, ElfCoreNoteKind.PrStatus, "NT_PRSTATUS")]
    [InlineData("CORE", 2u, ElfCoreNoteKind.FpRegSet, "NT_FPREGSET")]
    [InlineData("CORE", 3u, ElfCoreNoteKind.PrPsInfo, "NT_PRPSINFO")]
    [InlineData("CORE", 4u, ElfCoreNoteKind.TaskStruct, "NT_TASKSTRUCT")]
    [InlineData("LINUX", 0x700u, ElfCoreNoteKind.VmcoreDeviceDump, "NT_VMCOREDD")]
    [InlineData("VMCOREINFO", 0u, ElfCoreNoteKind.VmcoreInfo, "unused")]
    [InlineData("ERASEINFO", 0u, ElfCoreNoteKind.EraseInfo, "unused")]
    [InlineData("QEMU", 0u, ElfCoreNoteKind.QemuCpuState, "QEMUCPUState")]
    [InlineData("Xen", 0x1000001u, ElfCoreNoteKind.Xen, "unknown Xen n_type")]
    [InlineData("XEN CORE", 7u, ElfCoreNoteKind.Xen, "unknown Xen n_type")]
    [InlineData("VMCOREINFO_XEN", 0u, ElfCoreNoteKind.Xen, "unknown Xen n_type")]
    [InlineData("GNU", 3u, ElfCoreNoteKind.PrPsInfo, "NT_PRPSINFO")]
    [InlineData("GNU", 9u, ElfCoreNoteKind.Other, "?")]
    public void Notes_are_classified_like_crash_does(string name, uint type, ElfCoreNoteKind kind, string label)
    {
        var note = new ElfNote(name, type, Array.Empty<byte>(), 0);
        ElfCoreDump.KindOf(note).ShouldBe(kind);
        ElfCoreDump.CrashNoteTypeName(kind).ShouldBe(label);
    }

    [Fact]
    public void Short_notes_decode_to_nothing()
    {
        PrStatus.Decode(new byte[100]).ShouldBeNull();
        QemuNote.Decode(new byte[431]).ShouldBeNull();
        PrStatus.Decode(ElfWriter.PrStatus(5, 0).AsSpan(0, 328)).ShouldNotBeNull().FpValid.ShouldBe(0);
        QemuNote.Decode(ElfWriter.QemuState(0)).ShouldNotBeNull().KernelGsBase.ShouldBeNull();
    }

    [Fact]
    public void Kernel_gs_base_needs_both_the_size_field_and_the_bytes()
    {
        var full = ElfWriter.QemuState(0, kernelGsBase: 0x1234);
        QemuNote.Decode(full).ShouldNotBeNull().KernelGsBase.ShouldBe(0x1234UL);
        var lying = (byte[])full.Clone();
        ElfWriter.W32(lying, 4, 432);
        QemuNote.Decode(lying).ShouldNotBeNull().KernelGsBase.ShouldBeNull();
        QemuNote.Decode(full.AsSpan(0, 436)).ShouldNotBeNull().KernelGsBase.ShouldBeNull();
    }
}
