using Kdx.Core.Dumps;
using Kdx.Core.Memory;
using Kdx.Tests.Elf;

namespace Kdx.Tests.Dumps.Elf;

public class ElfCoreHostileTests
{
    [Fact]
    public void A_dump_cut_short_inside_a_segment_still_opens_and_says_where_it_ends()
    {
        var w = Cores.Kdump();
        var bytes = w.Build();
        var seg2 = w.Segments[2];
        int cut = (int)seg2.AssignedOffset + 0x800;
        using var d = Cores.Open(bytes[..cut]);
        d.TruncatedAt.ShouldBe(cut);
        d.Cpus.Count.ShouldBe(2);

        var buf = new byte[0x10];
        d.Read(0x1800 - 8, buf, out int n).ShouldBe(ReadStatus.Truncated);
        n.ShouldBe(8);
        buf[..8].ShouldBe(Cores.Pattern(0x2000, 2)[0x7f8..0x800]);
        d.Read(0x2000, buf, out n).ShouldBe(ReadStatus.Truncated);
        n.ShouldBe(0);
        d.ExplainFailure(0x1800, ReadStatus.Truncated).ShouldBe($"file truncated at offset {cut} (segment 2 needs bytes up to {seg2.AssignedOffset + 0x2000})");
        var fault = Should.Throw<MemoryFaultException>(() => d.ReadUInt64(0x1ff8, "64-bit PHYSADDR"));
        fault.Reason.ShouldBe(ReadStatus.Truncated);
        fault.Message.ShouldBe($"file truncated: physical address: 1ff8  type: \"64-bit PHYSADDR\" (file truncated at offset {cut} (segment 2 needs bytes up to {seg2.AssignedOffset + 0x2000}))");

        d.GetPageState(1).ShouldBe(PageState.Present);
        d.GetPageState(2).ShouldBe(PageState.NotInDump);
        d.GetPageState(3).ShouldBe(PageState.NotInDump);
        d.Describe().Children[0].Children.Single(c => c.Name == "truncated_at").Value.ShouldBe(cut.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // The kernel text segment, before the cut, is whole.
        d.Read(Cores.TextPhysical, new byte[0x2000], out n).ShouldBe(ReadStatus.Ok);
    }

    [Fact]
    public void Every_truncation_opens_or_fails_cleanly_and_reads_never_throw()
    {
        var bytes = Cores.Makedumpfile().Build();
        var qemu = Cores.Qemu(paging: true).Build();
        int opened = 0, refused = 0;
        foreach (var whole in new[] { bytes, qemu })
        {
            for (int n = 0; n <= whole.Length; n += n < 2000 ? 1 : 97)
            {
                try
                {
                    using var d = Cores.Open(whole[..n]);
                    opened++;
                    var buf = new byte[0x100];
                    foreach (var r in d.PhysicalRanges)
                    {
                        for (ulong a = r.Start; a < r.End; a += 0x100)
                        {
                            var st = d.Read(a, buf, out int got);
                            st.ShouldBeOneOf(ReadStatus.Ok, ReadStatus.Truncated, ReadStatus.Excluded, ReadStatus.NotInDump);
                            got.ShouldBeInRange(0, 0x100);
                        }
                    }
                }
                catch (DumpFormatException e)
                {
                    e.Message.ShouldStartWith("vmcore: ");
                    refused++;
                }
            }
        }

        refused.ShouldBeGreaterThan(10);
        opened.ShouldBeGreaterThan(10);
    }

    [Fact]
    public void A_segment_entirely_past_the_end_reads_as_truncated()
    {
        var w = Cores.Kdump();
        w.Segments[3].Offset = 1L << 30;
        w.Segments[3].Data = [];
        w.Segments[3].FileSize = 0x1000;
        using var d = Cores.Open(w.Build());
        d.TruncatedAt.ShouldNotBeNull();
        d.Read(0x3000, new byte[8], out int n).ShouldBe(ReadStatus.Truncated);
        n.ShouldBe(0);
        d.ExplainFailure(0x3000, ReadStatus.Truncated).ShouldNotBeNull().ShouldContain("segment 3 needs bytes up to 1073745920");
    }

    [Fact]
    public void A_zeroed_header_is_not_an_elf_file()
    {
        var bytes = Cores.Kdump().Build();
        Array.Clear(bytes, 0, 64);
        Cores.Fails(bytes).Message.ShouldBe("vmcore: not an ELF file (bad magic) (at offset 0)");
    }

    [Fact]
    public void Executables_and_other_machines_are_not_dumps_kdx_reads()
    {
        var w = Cores.Kdump();
        w.Type = 2;
        Cores.Fails(w.Build()).Message.ShouldBe("vmcore: not an ELF core file (e_type 2, expected 4 = ET_CORE) (at offset 16)");
        w.Type = 4;
        w.Machine = 183;
        Cores.Fails(w.Build()).Message.ShouldBe("vmcore: ELF machine 183 is not supported (only x86_64, e_machine 62) (at offset 18)");
    }

    [Fact]
    public void Wrong_class_and_endianness_are_refused()
    {
        var bytes = Cores.Kdump().Build();
        bytes[4] = 1;
        Cores.Fails(bytes).Problem.ShouldContain("ELF class 1");
        bytes[4] = 2;
        bytes[5] = 2;
        Cores.Fails(bytes).Problem.ShouldContain("big-endian");
    }

    [Fact]
    public void A_core_without_load_segments_holds_no_memory()
    {
        var w = new ElfWriter();
        w.AddSegment(4, Cores.KdumpNotes());
        Cores.Fails(w.Build()).Problem.ShouldContain("has no PT_LOAD segment");
    }

    [Fact]
    public void A_file_size_above_the_memory_size_is_corrupt()
    {
        var w = Cores.Kdump();
        w.Segments[2].MemorySize = 0x1000;
        var e = Cores.Fails(w.Build());
        e.Problem.ShouldBe("program header 2: p_filesz 2000 is larger than p_memsz 1000");
        e.Offset.ShouldBe(64 + (2 * 56));
    }

    [Fact]
    public void Offsets_and_addresses_that_overflow_are_corrupt()
    {
        var w = Cores.Kdump();
        w.Segments[2].Offset = long.MaxValue - 10;
        w.Segments[2].Data = [];
        w.Segments[2].FileSize = 100;
        Cores.Fails(w.Build()).Problem.ShouldContain("is beyond any file");

        var v = Cores.Kdump();
        v.Segments[2].PhysicalAddress = ulong.MaxValue - 0x100;
        Cores.Fails(v.Build()).Problem.ShouldContain("overflows the physical address space");
    }

    [Fact]
    public void A_note_with_an_absurd_size_is_an_error_naming_its_offset()
    {
        var w = Cores.Kdump();
        var notes = Cores.KdumpNotes();
        ElfWriter.W32(notes, 4, 0x7fffffff);
        w.Segments[0].Data = notes;
        var e = Cores.Fails(w.Build());
        e.Problem.ShouldContain("ELF note claims 5 name bytes and 2147483647 descriptor bytes");
        e.Offset.ShouldBe(4096);
    }

    [Fact]
    public void A_note_segment_past_the_end_is_an_error()
    {
        var w = Cores.Kdump();
        w.Segments[0].FileSize = 1UL << 40;
        Cores.Fails(w.Build()).Problem.ShouldContain("more than the limit");
        w.Segments[0].FileSize = 1UL << 20;
        Cores.Fails(w.Build()).Problem.ShouldContain("file truncated: PT_NOTE segment (program header 0)");
    }

    [Fact]
    public void Absurd_program_header_counts_are_refused()
    {
        var bytes = Cores.Kdump().Build();
        ElfWriter.W16(bytes, 56, 0xfffe);
        Cores.Fails(bytes).Problem.ShouldContain("program header table");
        Cores.Fails(Cores.Kdump().Build(), new DumpOpenOptions { Limits = ParseLimits.Default with { MaxProgramHeaders = 3 } })
            .Problem.ShouldBe("5 program headers is more than the limit of 3");
    }

    [Fact]
    public void Vmcoreinfo_and_cpu_counts_are_checked_against_the_limits()
    {
        Cores.Fails(Cores.Kdump().Build(), new DumpOpenOptions { Limits = ParseLimits.Default with { MaxVmcoreInfoBytes = 10 } })
            .Problem.ShouldContain("the VMCOREINFO note holds");
        Cores.Fails(Cores.Kdump().Build(), new DumpOpenOptions { Limits = ParseLimits.Default with { MaxCpus = 1 } })
            .Problem.ShouldContain("notes for 2 CPUs, more than the limit of 1");
    }
}
