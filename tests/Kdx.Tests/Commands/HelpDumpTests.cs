using Kdx.Commands.Infrastructure;
using Kdx.Core.Dumps;
using Kdx.Core.Model;
using Kdx.Tests.Dumps.Elf;
using Kdx.Tests.Dumps.Kdump;
using Kdx.Tests.Elf;

namespace Kdx.Tests.Commands;

/// <summary>help -D and help -n in crash's layouts on synthetic dumps (the real ones are compared with crash in Kdx.Vmcore.Tests).</summary>
public sealed class HelpDumpTests
{
    private static string Run(DumpFile dump, string line)
    {
        using var program = KernelProgram.Open(dump);
        using var output = new StringWriter { NewLine = "\n" };
        CommandRunner.Run(new Session(program, CommandRegistry.CreateDefault()), line, output);
        return output.ToString();
    }

    [Fact]
    public void Elf_dumps_show_vmcore_data_the_elf_headers_and_the_notes()
    {
        string d = Run(Cores.Open(Cores.Kdump().Build()), "help -D");
        var lines = d.Split('\n');
        lines[0].ShouldBe("vmcore_data: ");
        lines[1].ShouldBe("                  flags: c0 (KDUMP_LOCAL|KDUMP_ELF64) ");
        lines.ShouldContain("     pt_load_segment[0]:");
        lines.ShouldContain("            file_offset: 2000");
        lines.ShouldContain("Elf64_Ehdr:");
        lines.ShouldContain("              e_machine: 62 (EM_X86_64)");
        lines.Count(l => l == "Elf64_Phdr:").ShouldBe(5);
        lines.ShouldContain("                 p_type: 4 (PT_NOTE)");
        lines.ShouldContain(string.Empty);

        // The notes are what help -n prints, after the headers.
        string n = Run(Cores.Open(Cores.Kdump().Build()), "help -n");
        d.ShouldEndWith(n);
        n.ShouldStartWith("Elf64_Nhdr:\n               n_namesz: 5 (\"CORE\")\n");
        n.ShouldContain("                         pid: 121  ppid: 7  pgrp: 8  sid:9\n");
        n.ShouldContain("                         OSRELEASE=6.1.0-56-cloud-amd64\n");
    }

    [Fact]
    public void Compressed_kdumps_show_diskdump_data_the_headers_vmcoreinfo_and_the_decoded_notes()
    {
        var b = new KdumpBuilder { NrCpus = 2 }.WithPages(0, 1, 2);
        b.Notes.Add(("CORE", 1, KdumpReaderTests.PrStatusNote(1234, rip: 0xffffffff81000000)));
        b.Notes.Add(("QEMU", 0, ElfWriter.QemuState(0x100, 0x3606f0)));
        string d = Run(KdumpReaderTests.Open(b.Build().Bytes), "help -D");
        var lines = d.Split('\n');
        lines[0].ShouldBe("diskdump_data: ");
        lines[1].ShouldBe("          filename: test.kdump");
        lines[2].ShouldBe("             flags: 1c6 (KDUMP_CMPRS_LOCAL|ERROR_EXCLUDED|LZO_SUPPORTED|SNAPPY_SUPPORTED|ZSTD_SUPPORTED) ");
        lines[3].ShouldBe("      machine_type: 62 (EM_X86_64)");
        lines.ShouldContain("            header: ");
        lines.ShouldContain("           signature: \"KDUMP   \"");
        lines.ShouldContain("             utsname:");
        lines.ShouldContain("               release: 6.1.0-test");
        int tasks = Array.IndexOf(lines, "      tasks[nr_cpus]: 0");
        tasks.ShouldBeGreaterThan(0);
        lines[tasks + 1].ShouldBe("                      0");
        lines.ShouldContain("        sub_header: 0 (n/a)");
        lines.ShouldContain("  sub_header_kdump: ");
        lines.ShouldContain("                      OSRELEASE=6.1.0-test");
        lines.ShouldContain("            notes[0]: (NT_PRSTATUS)");
        lines.ShouldContain("                      pid: 1234  ppid: 0  pgrp: 0  sid:0");
        lines.ShouldContain("       snapshot_task: 0 ");
        lines.ShouldContain("            notes[0]: (QEMUCPUState)");
        lines.ShouldContain("                      version: 1  size: 432");
        lines.ShouldContain("                           pad: 00000000   base: 000000000000b000");
        lines.ShouldContain(l => l.StartsWith("        NOTE offsets: ", StringComparison.Ordinal) && l.EndsWith(" (NT_PRSTATUS)", StringComparison.Ordinal));
        lines.ShouldContain(l => l.StartsWith("                      ", StringComparison.Ordinal) && l.EndsWith(" (QEMU)", StringComparison.Ordinal));
        lines.ShouldContain("       data_offset: " + lines.First(l => l.StartsWith("       data_offset: ", StringComparison.Ordinal))[20..]);
        lines.ShouldContain(" total_valid_pages: 3");
    }

    [Fact]
    public void Zero_excluded_and_split_dumps_say_so_in_the_flags()
    {
        var bytes = new KdumpBuilder().WithPages(0).Build().Bytes;
        Run(KdumpReaderTests.Open(bytes, DumpOpenOptions.Default with { ZeroExcluded = true }), "help -D")
            .ShouldContain("             flags: 1ca (KDUMP_CMPRS_LOCAL|ZERO_EXCLUDED|LZO_SUPPORTED|SNAPPY_SUPPORTED|ZSTD_SUPPORTED) \n");
    }

    [Fact]
    public void Other_dumps_are_shown_as_a_tree() =>
        Run(new Arch.X86_64.SyntheticDump(), "help -D").ShouldBe("synthetic:\n");
}
