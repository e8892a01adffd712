using Kdx.Core.Arch.X86_64;
using Kdx.Core.Debug.Btf;
using Kdx.Core.Dumps;
using Kdx.Core.Model;
using Kdx.Core.Types;
using Kdx.Fuzz;

namespace Kdx.Tests.Model;

/// <summary>A program opened on a dump alone: kallsyms, BTF and modules from the dump's memory.</summary>
public class KernelProgramFromDumpTests
{
    private const ulong VmlabText = 0xffffffffc0001000;
    private const ulong VirtioText = 0xffffffffc0010000;

    private static (KernelWithModules Kernel, ulong Vmlab, ulong Virtio) TwoModules(bool memLayout, bool typetab = true)
    {
        var k = new KernelWithModules(memLayout);
        ulong vmlab = k.AddModule("vmlab", VmlabText,
        [
            ("vmlab_timer_fn", 't', VmlabText + 0x60, 0x1d), ("init_module", 'T', VmlabText + 0x200, 0x40),
            ("vmlab_items", 'd', VmlabText + 0x2060, 16), ("vmlab_objs", 'b', VmlabText + 0x26a0, 296),
        ], typetab);
        ulong virtio = k.AddModule("virtio_blk", VirtioText, [("virtblk_probe", 't', VirtioText + 0x100, 0x200)], typetab);
        return (k, vmlab, virtio);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Without_a_vmlinux_symbols_types_and_modules_all_come_from_the_dump(bool memLayout)
    {
        var (k, vmlab, virtio) = TwoModules(memLayout);
        var m = new BtfWriter(k.Btf);
        int u = m.Int("unsigned int", 4);
        m.Struct("virtio_blk", 24, ("list", k.ListHeadId, 0, 0), ("num_vqs", u, 128, 0));
        k.AddModuleBtf(virtio, m.Build(), (uint)m.FirstId);
        k.Finish();

        using var program = KernelProgram.Open(k.Kernel.Dump);
        program.SymbolSource.ShouldBe("kallsyms");
        program.Warnings.ShouldBeEmpty();
        program.Layout.SourceOf(LayoutItem.PageOffsetBase).ShouldBe(LayoutSource.KernelVariable);
        program.Layout.PageOffsetBase.ShouldBe(k.Kernel.PageOffsetBase);
        program.Btf!.Data.Bytes.ToArray().ShouldBe(k.VmlinuxBtf);
        program.Types.Sources.Count.ShouldBe(2);
        program.Types.Sources[0].ShouldBeSameAs(program.Btf);

        program.Modules.Select(x => x.Name).ShouldBe(["vmlab", "virtio_blk"]);
        var v = program.Modules[0];
        v.Address.ShouldBe(vmlab);
        v.Base.ShouldBe(VmlabText);
        v.Size.ShouldBe(0x4000UL);
        v.Regions.Select(r => r.Name).ShouldBe(memLayout ? ["text", "data", "rodata"] : ["core"]);
        v.Btf.ShouldBeNull();
        v.Symbols.Select(s => (s.Name, s.Type, s.Size)).ShouldBe([("vmlab_timer_fn", 't', 0x1dUL), ("init_module", 'T', 0x40UL), ("vmlab_items", 'd', 16UL), ("vmlab_objs", 'b', 296UL)]);

        program.TryGetSymbol("vmlab_items", out var items, out var owner).ShouldBeTrue();
        (items.Address, owner).ShouldBe((VmlabText + 0x2060, v));
        program.AddressOf("virtblk_probe").ShouldBe(VirtioText + 0x100);
        program.AddressOf("page_offset_base").ShouldBe(k.Kernel.PageOffsetBaseVariable);
        program.TryLookupSymbol(VmlabText + 0x70, out var hit, out owner).ShouldBeTrue();
        (hit.Symbol.Name, hit.Offset, owner?.Name).ShouldBe(("vmlab_timer_fn", 0x10UL, "vmlab"));
        program.TryLookupSymbol(k.Kernel.PageOffsetBaseVariable + 4, out hit, out owner).ShouldBeTrue();
        (hit.Symbol.Name, owner).ShouldBe(("page_offset_base", null));
        program.ModuleAt(VirtioText + 0x50)!.Name.ShouldBe("virtio_blk");
        program.ModuleAt(0xffffffffc0100000).ShouldBeNull();

        var blk = program.Modules[1].Btf!;
        blk.Data.FirstId.ShouldBe(program.Btf.Data.EndId);
        var t = program.Types.FindType("virtio_blk", TypeKind.Struct)!;
        t.Members[0].Type.Type.ShouldBeSameAs(program.Types.FindType("list_head", TypeKind.Struct));
    }

    [Fact]
    public void Older_kernels_keep_the_type_letter_in_st_info()
    {
        var (k, _, _) = TwoModules(memLayout: false, typetab: false);
        k.Finish();
        using var program = KernelProgram.Open(k.Kernel.Dump);
        program.Modules[0].Symbols.Select(s => s.Type).ShouldBe(['t', 'T', 'd', 'b']);
    }

    [Fact]
    public void A_module_list_that_loops_is_reported_and_read_up_to_the_loop()
    {
        var (k, vmlab, _) = TwoModules(memLayout: true);
        k.Finish();
        k.WriteU64(vmlab + 8, vmlab + 8);
        using var program = KernelProgram.Open(k.Kernel.Dump);
        program.Modules.Select(m => m.Name).ShouldBe(["vmlab"]);
        program.Warnings.ShouldHaveSingleItem().ShouldContain("the module list loops");
    }

    [Fact]
    public void A_broken_module_list_is_reported()
    {
        var (k, _, _) = TwoModules(memLayout: true);
        k.Finish();
        k.WriteU64(k.Modules, 0xffffc90000100000);
        using var program = KernelProgram.Open(k.Kernel.Dump);
        program.Modules.ShouldBeEmpty();
        program.Warnings.ShouldHaveSingleItem().ShouldContain("the module list is broken after 0 modules");
    }

    [Fact]
    public void A_module_whose_symbols_cannot_be_read_keeps_its_regions()
    {
        var (k, vmlab, _) = TwoModules(memLayout: true);
        k.Finish();
        k.WriteU64(vmlab + 192, 0xffffc90000100000);
        using var program = KernelProgram.Open(k.Kernel.Dump);
        program.Modules.Count.ShouldBe(2);
        program.Modules[0].Symbols.Count.ShouldBe(0);
        program.Modules[0].Base.ShouldBe(VmlabText);
        program.Warnings.ShouldHaveSingleItem().ShouldContain("module vmlab: its symbols cannot be read");
    }

    [Fact]
    public void Module_BTF_that_does_not_continue_the_vmlinux_BTF_is_refused()
    {
        var (k, _, virtio) = TwoModules(memLayout: true);
        var m = new BtfWriter(k.Btf);
        m.Struct("virtio_blk", 16, ("list", k.ListHeadId, 0, 0));
        k.AddModuleBtf(virtio, m.Build(), (uint)m.FirstId + 5);
        k.Finish();
        using var program = KernelProgram.Open(k.Kernel.Dump);
        program.Modules[1].Btf.ShouldBeNull();
        program.Warnings.ShouldHaveSingleItem().ShouldContain($"its BTF starts at type id {m.FirstId + 5}");
    }

    [Fact]
    public void Unreadable_kallsyms_fall_back_to_VMCOREINFO_with_the_reason()
    {
        var (k, _, _) = TwoModules(memLayout: true);
        var locations = k.Finish();
        k.WriteU32(locations.NumSyms, 0);
        using var program = KernelProgram.Open(k.Kernel.Dump);
        program.SymbolSource.ShouldBe("VMCOREINFO");
        program.Warnings[0].ShouldStartWith("cannot read kallsyms from the dump: kallsyms_num_syms at");
        program.Warnings[0].ShouldContain("only the 9 symbols VMCOREINFO lists are known");
        program.Warnings[1].ShouldContain("no type information");
        program.Modules.ShouldBeEmpty();
    }

    [Fact]
    public void Without_kallsyms_in_VMCOREINFO_the_warning_says_what_is_missing()
    {
        var k = new KernelWithModules(memLayout: true);
        k.Finish();
        k.Kernel.Dump.Info = k.Kernel.VmcoreInfo();
        using var program = KernelProgram.Open(k.Kernel.Dump);
        program.SymbolSource.ShouldBe("VMCOREINFO");
        program.Warnings[0].ShouldBe("no kallsyms: VMCOREINFO has no SYMBOL(kallsyms_num_syms), SYMBOL(kallsyms_names), SYMBOL(kallsyms_token_table), SYMBOL(kallsyms_token_index), SYMBOL(kallsyms_offsets) (Linux v6.0 added them); only the 2 symbols VMCOREINFO lists are known");
    }

    [Fact]
    public void Corrupt_BTF_in_the_dump_is_a_warning_and_modules_need_types()
    {
        var (k, _, _) = TwoModules(memLayout: true);
        k.Finish();
        k.WriteU32(k.Kernel.Text + 0x1400000, 0x12345678);
        using var program = KernelProgram.Open(k.Kernel.Dump);
        program.SymbolSource.ShouldBe("kallsyms");
        program.Btf.ShouldBeNull();
        program.Warnings.ShouldHaveSingleItem().ShouldContain("the kernel's BTF cannot be read from the dump");
        program.Warnings[0].ShouldContain("bad BTF magic 5678");
        program.Modules.ShouldBeEmpty();
    }

    [Fact]
    public void Without_struct_module_the_modules_are_not_read()
    {
        var k = new KernelWithModules(memLayout: true, withModuleType: false);
        k.Finish();
        using var program = KernelProgram.Open(k.Kernel.Dump);
        program.Modules.ShouldBeEmpty();
        program.Warnings.ShouldHaveSingleItem().ShouldBe("modules are not read: struct module is not in the kernel's types");
    }

    [Fact]
    public void The_program_is_an_IProgram_for_the_object_model()
    {
        var (k, vmlab, _) = TwoModules(memLayout: true);
        k.Finish();
        using var program = KernelProgram.Open(k.Kernel.Dump);
        IProgram p = program;
        p.Memory.ShouldBeSameAs(program.Kernel);
        p.CpuCount.ShouldBe(2);
        var module = KObject.FromAddress(p, program.Types.FindType("module", TypeKind.Struct)!, vmlab);
        module["name"].ReadCString().ShouldBe("vmlab");
        module["mem"][0]["base"].ToUInt64().ShouldBe(VmlabText);
        p.PerCpuAddress(0x1000, 1).ShouldBe(k.Kernel.PageOffsetBase + 0x7a40000 + 0x1000);
    }
}
