using Kdx.Core.Dumps;
using Kdx.Tests.Elf;

namespace Kdx.Tests.Dumps.Kdump;

/// <summary>QEMU's kdump-zlib keeps its "QEMU" CPU state notes in the kdump note area: they reach <see cref="CpuState.Qemu"/>.</summary>
public class KdumpQemuNotesTests
{
    [Fact]
    public void Qemu_notes_are_attached_to_the_cpus_in_order_and_qemu_pids_dropped()
    {
        var b = new KdumpBuilder().WithPages(0, 1);
        b.Notes.Add(("CORE", 1, ElfWriter.PrStatus(1, 0x1000)));
        b.Notes.Add(("CORE", 1, ElfWriter.PrStatus(2, 0x2000)));
        b.Notes.Add(("QEMU", 0, ElfWriter.QemuState(0x100, cr4: 0x3626f0, kernelGsBase: 0xffff888007a00000)));
        b.Notes.Add(("QEMU", 0, ElfWriter.QemuState(0x200, cr4: 0x1626f0)));
        using var dump = KdumpReaderTests.Open(b.Build().Bytes);

        dump.Producer.ShouldBe(DumpProducer.Qemu);
        dump.Cpus.Count.ShouldBe(2);
        dump.Cpus.ShouldAllBe(c => c.Pid == null && c.Registers != null && c.Qemu != null);
        dump.Cpus[0].Qemu!.Cr3.ShouldBe(0xc3UL);
        dump.Cpus[0].Qemu!.Cr4.ShouldBe(0x3626f0UL);
        dump.Cpus[0].Qemu!["rax"].ShouldBe(0x100UL);
        dump.Cpus[0].Qemu!.KernelGsBase.ShouldBe(0xffff888007a00000UL);
        dump.Cpus[1].Qemu!.Cr4.ShouldBe(0x1626f0UL);
        dump.Cpus[1].Qemu!["rax"].ShouldBe(0x200UL);
        dump.Cpus[1].Qemu!.KernelGsBase.ShouldBeNull();
    }

    [Fact]
    public void A_makedumpfile_kdump_keeps_its_pids_and_has_no_qemu_state()
    {
        var b = new KdumpBuilder().WithPages(0);
        b.Notes.Add(("CORE", 1, ElfWriter.PrStatus(4242, 0x1000)));
        using var dump = KdumpReaderTests.Open(b.Build().Bytes);

        dump.Producer.ShouldBe(DumpProducer.Makedumpfile);
        dump.Cpus.Single().Pid.ShouldBe(4242);
        dump.Cpus.Single().Qemu.ShouldBeNull();
    }

    [Fact]
    public void More_qemu_notes_than_prstatus_notes_give_cpus_without_registers()
    {
        var b = new KdumpBuilder().WithPages(0);
        b.Notes.Add(("CORE", 1, ElfWriter.PrStatus(1, 0x1000)));
        b.Notes.Add(("QEMU", 0, ElfWriter.QemuState(0x100)));
        b.Notes.Add(("QEMU", 0, ElfWriter.QemuState(0x200)));
        using var dump = KdumpReaderTests.Open(b.Build().Bytes);

        dump.Cpus.Count.ShouldBe(2);
        dump.Cpus[1].Registers.ShouldBeNull();
        dump.Cpus[1].Qemu!["rax"].ShouldBe(0x200UL);
    }

    [Fact]
    public void Too_many_cpu_notes_are_refused_with_the_file_name()
    {
        var b = new KdumpBuilder().WithPages(0);
        for (int i = 0; i < 3; i++)
        {
            b.Notes.Add(("QEMU", 0, ElfWriter.QemuState(0x100)));
        }

        var options = DumpOpenOptions.Default with { Limits = ParseLimits.Default with { MaxCpus = 2 } };
        var e = Should.Throw<DumpFormatException>(() => KdumpReaderTests.Open(b.Build().Bytes, options, "qemu.kdump"));
        e.Message.ShouldContain("qemu.kdump");
        e.Message.ShouldContain("3 CPUs");
    }
}
