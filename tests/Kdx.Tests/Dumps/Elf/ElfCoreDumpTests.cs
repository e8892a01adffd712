using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Elf;
using Kdx.Core.Memory;

namespace Kdx.Tests.Dumps.Elf;

public class ElfCoreDumpTests
{
    [Fact]
    public void A_proc_vmcore_copy_is_recognised_with_its_notes_and_cpus()
    {
        using var d = Cores.Open(Cores.Kdump().Build());
        d.Producer.ShouldBe(DumpProducer.KdumpElf);
        d.FormatName.ShouldBe("ELF (kdump /proc/vmcore)");
        d.PageSize.ShouldBe(4096);
        d.Path.ShouldBe("vmcore");
        d.Notes.Select(n => n.Name).ShouldBe(["CORE", "CORE", "VMCOREINFO"]);
        d.VmcoreInfo.ShouldNotBeNull().OsRelease.ShouldBe("6.1.0-56-cloud-amd64");
        d.VmcoreInfo.KernelOffset.ShouldBe(0x29000000UL);
        d.CrashTime.ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1795553402));
        d.TruncatedAt.ShouldBeNull();
        d.LoadSegments.Count.ShouldBe(4);
        d.Elf.ProgramHeaders.Count.ShouldBe(5);

        d.Cpus.Count.ShouldBe(2);
        d.Cpus[0].Cpu.ShouldBe(0);
        d.Cpus[0].Pid.ShouldBe(121);
        d.Cpus[0].Registers.ShouldNotBeNull().Rip.ShouldBe(0x1000UL + 16);
        d.Cpus[0].Qemu.ShouldBeNull();
        d.Cpus[1].Pid.ShouldBe(282);
        d.Cpus[1].Registers!.Rsp.ShouldBe(0x2000UL + 19);
    }

    [Fact]
    public void Physical_ranges_and_virtual_mappings_come_from_the_load_segments()
    {
        using var d = Cores.Open(Cores.Kdump().Build());
        d.PhysicalRanges.ShouldBe([new PhysicalRange(0x1000, 0x4000), new PhysicalRange(Cores.TextPhysical, Cores.TextPhysical + 0x4000)]);
        d.VirtualMappings.ShouldBe(
        [
            new VirtualMapping(Cores.PageOffset + 0x1000, 0x1000, 0x2000),
            new VirtualMapping(Cores.PageOffset + 0x3000, 0x3000, 0x1000),
            new VirtualMapping(Cores.PageOffset + Cores.TextPhysical, Cores.TextPhysical, 0x4000),
            new VirtualMapping(Cores.TextVirtual, Cores.TextPhysical, 0x2000),
        ]);
    }

    [Fact]
    public void Reads_cross_segment_boundaries_and_stop_at_holes()
    {
        using var d = Cores.Open(Cores.Kdump().Build());
        var buf = new byte[0x20];
        d.Read(0x2ff0, buf, out int n).ShouldBe(ReadStatus.Ok);
        n.ShouldBe(0x20);
        buf[..0x10].ShouldBe(Cores.Pattern(0x2000, 2)[0x1ff0..]);
        buf[0x10..].ShouldBe(Cores.Pattern(0x1000, 3)[..0x10]);

        d.Read(0x3ff8, buf, out n).ShouldBe(ReadStatus.NotInDump);
        n.ShouldBe(8);
        d.Read(0x500, buf, out n).ShouldBe(ReadStatus.NotInDump);
        n.ShouldBe(0);
        d.ExplainFailure(0x4000, ReadStatus.NotInDump).ShouldBe("no PT_LOAD segment of the ELF dump covers it");
        d.ExplainFailure(0x4000, ReadStatus.Corrupt).ShouldBeNull();
        d.ExplainFailure(0x1000, ReadStatus.NotInDump).ShouldBeNull();
        d.Read(0x1000, [], out n).ShouldBe(ReadStatus.Ok);
    }

    [Fact]
    public void Where_segments_overlap_the_earlier_program_header_wins()
    {
        using var d = Cores.Open(Cores.Kdump().Build());
        var buf = new byte[0x20];
        d.Read(Cores.TextPhysical + 0x1ff0, buf, out _).ShouldBe(ReadStatus.Ok);
        buf[..0x10].ShouldBe(Cores.Pattern(0x2000, 1)[0x1ff0..]);
        buf[0x10..].ShouldBe(Cores.Pattern(0x4000, 4)[0x2000..0x2010]);
    }

    [Fact]
    public void Page_states_follow_the_segments()
    {
        using var d = Cores.Open(Cores.Kdump().Build());
        d.GetPageState(1).ShouldBe(PageState.Present);
        d.GetPageState(3).ShouldBe(PageState.Present);
        d.GetPageState(4).ShouldBe(PageState.NotInDump);
        d.GetPageState(0).ShouldBe(PageState.NotInDump);
        d.GetPageState(Cores.TextPhysical / 4096).ShouldBe(PageState.Present);
        d.GetPageState(ulong.MaxValue).ShouldBe(PageState.NotInDump);
        d.GetPageState(1UL << 41).ShouldBe(PageState.NotInDump);
    }

    [Fact]
    public void A_page_partly_covered_by_a_segment_is_judged_by_the_segment_inside_it()
    {
        var w = new Kdx.Tests.Elf.ElfWriter();
        w.AddSegment(4, Cores.KdumpNotes());
        w.AddSegment(1, new byte[0x800], paddr: 0x1800, vaddr: Cores.PageOffset + 0x1800);
        using var d = Cores.Open(w.Build());
        d.GetPageState(1).ShouldBe(PageState.Present);
        d.GetPageState(2).ShouldBe(PageState.NotInDump);
    }

    [Fact]
    public void Makedumpfile_filtered_pages_read_as_excluded()
    {
        using var d = Cores.Open(Cores.Makedumpfile().Build());
        d.Producer.ShouldBe(DumpProducer.Makedumpfile);
        d.FormatName.ShouldBe("ELF (makedumpfile -E)");
        var buf = new byte[0x20];
        d.Read(0x1ff0, buf, out int n).ShouldBe(ReadStatus.Excluded);
        n.ShouldBe(0x10);
        buf[..0x10].ShouldBe(Cores.Pattern(0x1000, 1)[0xff0..]);
        d.Read(0x4000, buf, out n).ShouldBe(ReadStatus.Excluded);
        n.ShouldBe(0);
        d.ExplainFailure(0x2000, ReadStatus.Excluded).ShouldBe("excluded from the ELF dump: past p_filesz of segment 1 (p_paddr 1000, p_filesz 1000, p_memsz 3000)");
        d.GetPageState(1).ShouldBe(PageState.Present);
        d.GetPageState(2).ShouldBe(PageState.Excluded);
        d.GetPageState(5).ShouldBe(PageState.Excluded);
        d.GetPageState(6).ShouldBe(PageState.NotInDump);
        d.PhysicalRanges.ShouldBe([new PhysicalRange(0x1000, 0x6000)]);
        Should.Throw<MemoryFaultException>(() => d.ReadUInt64(0x2008, "64-bit PHYSADDR"))
            .Message.ShouldBe("page excluded: physical address: 2008  type: \"64-bit PHYSADDR\" (excluded from the ELF dump: past p_filesz of segment 1 (p_paddr 1000, p_filesz 1000, p_memsz 3000))");
    }

    [Fact]
    public void With_zero_excluded_filtered_pages_read_as_zeros()
    {
        using var d = Cores.Open(Cores.Makedumpfile().Build(), new DumpOpenOptions { ZeroExcluded = true });
        var buf = Enumerable.Repeat((byte)0xee, 0x2000).ToArray();
        d.Read(0x1800, buf, out int n).ShouldBe(ReadStatus.Ok);
        n.ShouldBe(0x2000);
        buf[..0x800].ShouldBe(Cores.Pattern(0x1000, 1)[0x800..]);
        buf[0x800..].ShouldAllBe(b => b == 0);
        d.Read(0x5ff8, new byte[16], out n).ShouldBe(ReadStatus.NotInDump);
        n.ShouldBe(8);
    }

    [Fact]
    public void Bytes_in_the_file_win_over_excluded_bytes_of_an_earlier_segment()
    {
        var w = new Kdx.Tests.Elf.ElfWriter { DataAlign = 1 };
        w.AddSegment(4, Cores.KdumpNotes());
        w.AddSegment(1, Cores.Pattern(0x100, 1), paddr: 0x1000, memsz: 0x1000);
        w.AddSegment(1, Cores.Pattern(0x100, 2), paddr: 0x1800);
        using var d = Cores.Open(w.Build());
        var buf = new byte[0x100];
        d.Read(0x1800, buf, out _).ShouldBe(ReadStatus.Ok);
        buf.ShouldBe(Cores.Pattern(0x100, 2));
        d.Read(0x1900, buf, out int n).ShouldBe(ReadStatus.Excluded);
        n.ShouldBe(0);
    }

    [Fact]
    public void A_packed_dump_without_filtered_pages_is_still_makedumpfile_and_without_vmcoreinfo_unknown()
    {
        var w = new Kdx.Tests.Elf.ElfWriter { DataAlign = 1 };
        w.AddSegment(4, Cores.KdumpNotes());
        w.AddSegment(1, new byte[0x100], paddr: 0x1000);
        using (var d = Cores.Open(w.Build()))
        {
            d.Producer.ShouldBe(DumpProducer.Makedumpfile);
        }

        w.Segments[0].Data = Cores.KdumpNotes(vmcoreInfo: false);
        using (var d = Cores.Open(w.Build()))
        {
            d.Producer.ShouldBe(DumpProducer.Unknown);
            d.FormatName.ShouldBe("ELF core");
            d.VmcoreInfo.ShouldBeNull();
            d.CrashTime.ShouldBeNull();
        }
    }

    [Fact]
    public void A_qemu_dump_has_qemu_cpu_state_and_no_task_pids()
    {
        using var d = Cores.Open(Cores.Qemu(paging: false).Build());
        d.Producer.ShouldBe(DumpProducer.Qemu);
        d.FormatName.ShouldBe("ELF (QEMU dump-guest-memory)");
        d.Elf.Header.ProgramHeaderCountField.ShouldBe((ushort)0xffff);
        d.Elf.Header.HeaderSize.ShouldBe((ushort)8);
        d.Cpus.Count.ShouldBe(2);
        d.Cpus.ShouldAllBe(c => c.Pid == null);
        var q0 = d.Cpus[0].Qemu.ShouldNotBeNull();
        q0.Version.ShouldBe(1u);
        q0.Size.ShouldBe(440u);
        q0["rax"].ShouldBe(0x100UL);
        q0["rip"].ShouldBe(0x100UL + 16);
        q0.Registers["rflags"].ShouldBe(0x100UL + 17);
        q0.Cr0.ShouldBe(0xc0UL);
        q0.Cr1.ShouldBe(0xc1UL);
        q0.Cr2.ShouldBe(0xc2UL);
        q0.Cr3.ShouldBe(0xc3UL);
        q0.Cr4.ShouldBe(0x3606f0UL);
        q0.KernelGsBase.ShouldBe(0xffff888007a00000);
        var cs = q0.Segments["cs"];
        cs.ShouldBe(new QemuSegment(0x10, 0x1000, 0x2000, 0xb000) { Pad = 0 });
        q0.Segments["idt"].Base.ShouldBe(0xb009UL);
        var q1 = d.Cpus[1].Qemu.ShouldNotBeNull();
        q1.Size.ShouldBe(432u);
        q1.KernelGsBase.ShouldBeNull();
        q1["rip"].ShouldBe(0x200UL + 16);
        d.Cpus[1].Registers!.Rip.ShouldBe(0x2000UL + 16);
    }

    [Fact]
    public void Qemu_paging_off_dumps_state_no_virtual_addresses()
    {
        using var d = Cores.Open(Cores.Qemu(paging: false).Build());
        d.VirtualMappings.ShouldBeEmpty();
        d.PhysicalRanges.ShouldBe([new PhysicalRange(0, 0x4000), new PhysicalRange(0xfffc0000, 0xfffc1000)]);
        var buf = new byte[16];
        d.Read(0xfffc0010, buf, out _).ShouldBe(ReadStatus.Ok);
        buf.ShouldBe(Cores.Pattern(0x1000, 2)[0x10..0x20]);
    }

    [Fact]
    public void Qemu_paging_dumps_give_sign_extended_virtual_mappings_and_skip_non_ram()
    {
        using var d = Cores.Open(Cores.Qemu(paging: true).Build());
        d.VirtualMappings.ShouldBe(
        [
            new VirtualMapping(0x400000, 0x1000, 0x2000),
            new VirtualMapping(0xffffffffaa000000, 0x3000, 0x2000),
            new VirtualMapping(0xffffffffff5fc000, 0xfee00000, 0x1000),
        ]);
        d.PhysicalRanges.ShouldBe([new PhysicalRange(0x1000, 0x5000)]);
        d.Read(0xfee00000, new byte[8], out _).ShouldBe(ReadStatus.NotInDump);
        d.GetPageState(0xfee00).ShouldBe(PageState.NotInDump);
    }

    [Fact]
    public void Qemu_five_level_paging_addresses_are_sign_extended_from_bit_56()
    {
        var w = Cores.Qemu(paging: true, cr4: 0x3606f0 | (1UL << 12));
        w.Segments[1].VirtualAddress = 0xfe00000000400000;
        using var d = Cores.Open(w.Build());
        d.VirtualMappings[0].VirtualStart.ShouldBe(0x400000UL);
    }

    [Fact]
    public void More_qemu_notes_than_prstatus_notes_give_cpus_without_registers()
    {
        var w = Cores.Qemu(paging: false);
        w.Segments[0].Data =
        [
            .. Kdx.Tests.Elf.ElfWriter.Note("CORE", 1, Kdx.Tests.Elf.ElfWriter.PrStatus(1, 0x1000)),
            .. Kdx.Tests.Elf.ElfWriter.Note("QEMU", 0, Kdx.Tests.Elf.ElfWriter.QemuState(0x100)),
            .. Kdx.Tests.Elf.ElfWriter.Note("QEMU", 0, Kdx.Tests.Elf.ElfWriter.QemuState(0x200)),
            .. Kdx.Tests.Elf.ElfWriter.Note("QEMU", 0, new byte[100]),
        ];
        using var d = Cores.Open(w.Build());
        d.Cpus.Count.ShouldBe(3);
        d.Cpus[1].Cpu.ShouldBe(1);
        d.Cpus[1].Registers.ShouldBeNull();
        d.Cpus[1].Qemu.ShouldNotBeNull()["rax"].ShouldBe(0x200UL);
        d.Cpus[2].Qemu.ShouldBeNull();
        d.VmcoreInfo.ShouldBeNull();
    }

    [Fact]
    public void A_page_size_in_vmcoreinfo_is_used_only_when_sane()
    {
        static int PageSizeWith(string value)
        {
            var w = Cores.Kdump();
            w.Segments[0].Data = [.. Kdx.Tests.Elf.ElfWriter.Note("VMCOREINFO", 0, System.Text.Encoding.ASCII.GetBytes($"PAGESIZE={value}\n"))];
            using var d = Cores.Open(w.Build());
            return d.PageSize;
        }

        PageSizeWith("16384").ShouldBe(16384);
        PageSizeWith("12288").ShouldBe(4096);
        PageSizeWith("512").ShouldBe(4096);
        PageSizeWith("1073741824").ShouldBe(4096);
        PageSizeWith("x").ShouldBe(4096);
    }

    [Fact]
    public void Dump_files_open_elf_cores_by_content()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kdx-core-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, Cores.Kdump().Build());
        try
        {
            DumpFiles.Identify(path).ShouldBe(FileKind.ElfCore);
            using var d = DumpFiles.Open(path);
            d.ShouldBeOfType<ElfCoreDump>();
            d.Path.ShouldBe(path);
            d.Files.ShouldBe([path]);
            d.ReadUInt64(0x1000, "test").ShouldBe(BitConverter.ToUInt64(Cores.Pattern(0x2000, 2), 0));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
