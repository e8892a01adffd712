using System.Globalization;
using System.Text;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Dumps;

namespace Kdx.Tests.Arch.X86_64;

/// <summary>
/// A small synthetic x86_64 kernel in a <see cref="SyntheticDump"/>: a KASLR-relocated kernel image mapped with
/// 2 MiB pages, init_top_pgt inside it, a direct map of all "RAM" (4 KiB pages for the first 2 MiB, then 2 MiB
/// pages), a few vmalloc pages, a vmemmap page, a cpu_entry_area page, and the layout variables in .data.
/// </summary>
internal sealed class FakeKernel
{
    public const ulong TextLink = 0xffffffff81000000;
    public const ulong RamEnd = 256UL << 20;
    public const ulong ImageSize = 32UL << 20;

    public FakeKernel(int levels = 4, ulong kernelOffset = 0x2a000000, long physBase = -0x28000000L, int slotShift = 0)
    {
        Levels = levels;
        KernelOffset = kernelOffset;
        PhysBase = unchecked((ulong)physBase);
        var d = X86_64KernelLayout.Defaults(levels);
        PageOffsetBase = d.PageOffsetBase + ((0x1a2UL + (ulong)slotShift) << 30);
        VmallocBase = PageOffsetBase + (12UL << 40) + (0x33UL << 30);
        VmemmapBase = VmallocBase + ((levels == 5 ? 12800UL : 32UL) << 40) + (0x5UL << 30);
        Dump = new SyntheticDump(RamEnd);
        Tables = new PageTableBuilder(Dump, levels, root: ToPhysical(InitTopPgt), tablePool: 0x6000000);

        Tables.MapRange(Text, ToPhysical(Text), ImageSize, 1UL << 21);
        Tables.MapRange(PageOffsetBase, 0, 1UL << 21, 0x1000);
        Tables.MapRange(PageOffsetBase + (1UL << 21), 1UL << 21, RamEnd - (1UL << 21), 1UL << 21);
        Tables.Map(VmallocBase + 0x1000, 0x7000000);
        Tables.Map(VmallocBase + 0x2000, 0x7003000);
        Tables.Map(VmallocBase + (3UL << 30), 0x7004000); // a later vmalloc slot, same run? no: 3 GiB further, its own run
        Tables.Map(VmemmapBase, 0x8000000, 1UL << 21);
        Tables.Map(X86_64KernelLayout.CpuEntryAreaBase + 0x1000, 0x7005000);

        WriteVariable(PageOffsetBaseVariable, PageOffsetBase);
        WriteVariable(VmallocBaseVariable, VmallocBase);
        WriteVariable(VmemmapBaseVariable, VmemmapBase);
        WriteVariable(PerCpuOffsetArray, PageOffsetBase + 0x7a00000);
        WriteVariable(PerCpuOffsetArray + 8, PageOffsetBase + 0x7a40000);
        WriteVariable(NrCpuIds, 2);
        WriteVariable(PgtableL5Enabled, levels == 5 ? 1UL : 0UL);
    }

    public int Levels { get; }

    public ulong KernelOffset { get; }

    public ulong PhysBase { get; }

    public ulong PageOffsetBase { get; }

    public ulong VmallocBase { get; }

    public ulong VmemmapBase { get; }

    public SyntheticDump Dump { get; }

    public PageTableBuilder Tables { get; }

    public ulong Text => TextLink + KernelOffset;

    public ulong InitTopPgt => Text + 0x1a0a000;

    public ulong PageOffsetBaseVariable => Text + 0x1c00000;

    public ulong VmallocBaseVariable => Text + 0x1c00008;

    public ulong VmemmapBaseVariable => Text + 0x1c00010;

    public ulong PerCpuOffsetArray => Text + 0x1c00100;

    public ulong NrCpuIds => Text + 0x1c00200;

    public ulong PgtableL5Enabled => Text + 0x1c00300;

    public Dictionary<string, ulong> Symbols => new()
    {
        ["init_top_pgt"] = InitTopPgt,
        ["page_offset_base"] = PageOffsetBaseVariable,
        ["vmalloc_base"] = VmallocBaseVariable,
        ["vmemmap_base"] = VmemmapBaseVariable,
        ["__per_cpu_offset"] = PerCpuOffsetArray,
        ["nr_cpu_ids"] = NrCpuIds,
        ["__pgtable_l5_enabled"] = PgtableL5Enabled,
    };

    public ulong ToPhysical(ulong imageAddress) => unchecked(imageAddress - X86_64KernelLayout.StartKernelMap + PhysBase);

    public void WriteVariable(ulong address, ulong value) => Dump.WriteUInt64(ToPhysical(address), value);

    /// <summary>VMCOREINFO as arch_crash_save_vmcoreinfo() writes it; <paramref name="omit"/> drops keys.</summary>
    public VmcoreInfo VmcoreInfo(params string[] omit)
    {
        var ci = CultureInfo.InvariantCulture;
        var lines = new (string Key, string Value)[]
        {
            ("OSRELEASE", "6.1.0-synthetic"),
            ("PAGESIZE", "4096"),
            ("SYMBOL(swapper_pg_dir)", InitTopPgt.ToString("x", ci)),
            ("NUMBER(phys_base)", unchecked((long)PhysBase).ToString(ci)),
            ("SYMBOL(init_top_pgt)", InitTopPgt.ToString("x", ci)),
            ("NUMBER(pgtable_l5_enabled)", Levels == 5 ? "1" : "0"),
            ("KERNELOFFSET", KernelOffset.ToString("x", ci)),
            ("NUMBER(KERNEL_IMAGE_SIZE)", "1073741824"),
            ("NUMBER(sme_mask)", "0"),
        };
        var text = new StringBuilder();
        foreach (var (key, value) in lines.Where(l => !omit.Contains(l.Key)))
        {
            text.Append(key).Append('=').Append(value).Append('\n');
        }

        return Kdx.Core.Dumps.VmcoreInfo.Parse(text.ToString());
    }

    public static CpuState QemuCpu(int cpu, ulong cr3, ulong cr4) => new(cpu, null, null, new QemuCpuState { Version = 1, Cr3 = cr3, Cr4 = cr4 });
}
