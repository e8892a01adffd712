using Kdx.Core.Debug.Btf;
using Kdx.Core.Debug.Kallsyms;
using Kdx.Core.Elf;
using Kdx.Core.Model;
using Kdx.Core.Symbols;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Debug;

/// <summary>
/// Without a vmlinux, Kdx reads the kernel's kallsyms and BTF from the dump. On every CI crash they must be
/// the vmlinux's own: the symbol table relocated by KERNELOFFSET, and the bytes of its .BTF section.
/// </summary>
public sealed class KallsymsRealDumpTests
{
    /// <summary>
    /// What nm lists in a vmlinux but scripts/kallsyms leaves out (its is_ignored_symbol()): the export
    /// strings and CRCs (__kstrtab_*, __kstrtabns_*, __crc_*), assembler-local labels (.L*), absolute
    /// symbols ('a'/'A': sizes and offsets, not addresses), and, on 6.1, the kallsyms tables themselves.
    /// </summary>
    private static bool KallsymsOmits(Symbol s) =>
        s.Name.StartsWith("__kstrtab", StringComparison.Ordinal)
        || s.Name.StartsWith("__crc_", StringComparison.Ordinal)
        || s.Name.StartsWith(".L", StringComparison.Ordinal)
        || s.Type is 'a' or 'A'
        || s.Name.StartsWith("kallsyms_", StringComparison.Ordinal);

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Kallsyms_from_the_dump_is_the_vmlinux_symbol_table(string id)
    {
        var run = CiRuns.Get(id);
        using var program = KernelProgram.Open([run.Formats["elf"].Files.Single()]);
        program.SymbolSource.ShouldBe("kallsyms");
        program.Warnings.ShouldBeEmpty();
        using var elf = ElfFile.Open(run.Vmlinux);
        long offset = (long)program.VmcoreInfo!.KernelOffset!.Value;
        var vmlinux = SymbolTable.FromElf(elf).Relocate(offset);
        var kallsyms = program.Symbols;
        kallsyms.Relocation.ShouldBe(offset);

        var byKey = vmlinux.GroupBy(s => (s.Name, s.Address)).ToDictionary(g => g.Key, g => g.Select(s => s.Type).ToList());
        var missing = kallsyms.Where(s => !byKey.ContainsKey((s.Name, s.Address))).Select(s => $"{s.Address:x} {s.Type} {s.Name}").ToList();
        missing.ShouldBeEmpty("every kallsyms symbol is in the vmlinux at the same run-time address");

        var inKallsyms = kallsyms.Select(s => (s.Name, s.Address)).ToHashSet();
        var unexplained = vmlinux.Where(s => !inKallsyms.Contains((s.Name, s.Address)) && !KallsymsOmits(s)).Select(s => $"{s.Address:x} {s.Type} {s.Name}").ToList();
        unexplained.ShouldBeEmpty("every vmlinux symbol kallsyms lacks is one scripts/kallsyms ignores");
        inKallsyms.Count.ShouldBeGreaterThan(80_000);

        // Per-CPU symbols: nm says d/D (.data..percpu), scripts/kallsyms' make_percpus_absolute() says A.
        var letters = kallsyms.Where(s => !byKey[(s.Name, s.Address)].Contains(s.Type)).ToList();
        var notPerCpu = letters.Where(s => s.Type != 'A' || s.Address >= 0x100000000UL || !byKey[(s.Name, s.Address)].Any(t => t is 'd' or 'D')).ToList();
        notPerCpu.ShouldBeEmpty();
        letters.Count.ShouldBeGreaterThan(100);
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Kallsyms_reads_the_same_from_a_compressed_dump(string id)
    {
        var run = CiRuns.Get(id);
        using var elf = KernelProgram.Open([run.Formats["elf"].Files.Single()]);
        using var lzo = KernelProgram.Open(run.Formats["kdump-lzo"].Files);
        lzo.SymbolSource.ShouldBe("kallsyms");
        lzo.Symbols.Select(s => (s.Name, s.Address, s.Type, s.Size)).ShouldBe(elf.Symbols.Select(s => (s.Name, s.Address, s.Type, s.Size)));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Btf_from_the_dump_is_the_vmlinux_BTF_section(string id)
    {
        var run = CiRuns.Get(id);
        using var program = KernelProgram.Open([run.Formats["elf"].Files.Single()]);
        using var elf = ElfFile.Open(run.Vmlinux);
        var fromFile = BtfLoader.FromElf(elf)!;
        program.Btf!.Data.Bytes.SequenceEqual(fromFile.Bytes).ShouldBeTrue();
        program.Btf.Data.LocalCount.ShouldBe(fromFile.LocalCount);
        program.Types.Sources[0].ShouldBeSameAs(program.Btf);
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void With_a_vmlinux_the_types_come_from_its_BTF_section(string id)
    {
        var run = CiRuns.Get(id);
        using var program = KernelProgram.Open([run.Formats["elf"].Files.Single()], run.Vmlinux);
        program.Btf!.Description.ShouldContain(".BTF");
        program.Btf.FindType("task_struct", Kdx.Core.Types.TypeKind.Struct)!.Size.ShouldBeGreaterThan(8000UL);
        program.Modules.ShouldContain(m => m.Name == "vmlab");
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Vmlinux_BTF_describes_the_per_cpu_variables_only(string id)
    {
        var run = CiRuns.Get(id);
        using var program = KernelProgram.Open([run.Formats["elf"].Files.Single()]);
        var btf = program.Btf!;
        btf.Variables.ShouldAllBe(v => v.Section == ".data..percpu");
        btf.TryGetVariable("runqueues", out var rq).ShouldBeTrue();
        rq.Type.Type.Name.ShouldBe("rq");
        program.Symbols.TryGetAddress("runqueues", out ulong offset).ShouldBeTrue();
        offset.ShouldBe(rq.Offset, "a per-CPU symbol's value is its offset in .data..percpu");
        btf.FindVariableType("jiffies").ShouldBeNull();
        btf.FindFunctionType("schedule")!.ToString().ShouldBe("void (void)");
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_address_encoding_is_the_per_cpu_absolute_one_of_x86_64(string id)
    {
        var run = CiRuns.Get(id);
        using var dump = Kdx.Core.Dumps.DumpFiles.Open([run.Formats["elf"].Files.Single()]);
        var info = dump.VmcoreInfo!;
        var memory = new Kdx.Core.Arch.X86_64.KernelVirtualMemory(dump, Kdx.Core.Arch.X86_64.X86_64LayoutDetector.Detect(dump));
        var table = KallsymsReader.Read(memory, KallsymsLocations.FromVmcoreInfo(info)!, info.Symbol);
        table.AddressMode.ShouldBe(KallsymsAddressMode.AbsolutePerCpu);
        table.Symbols.TryGetAddress("_stext", out ulong stext).ShouldBeTrue();
        stext.ShouldBe(info.Symbol("_stext")!.Value);
    }
}
