using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Linux;
using Kdx.Core.Linux.Irq;
using Kdx.Core.Model;

namespace Kdx.Commands.Help;

/// <summary>
/// <c>help -m</c>: the machine data Kdx works with, in crash's "name: value" layout. crash prints its own
/// internals here (function pointers, its flag bits); Kdx prints the kernel facts behind them.
/// </summary>
internal static class MachineDataWriter
{
    public static void Write(CommandContext context)
    {
        var program = context.Session.Program;
        var layout = program.Layout;
        var ci = CultureInfo.InvariantCulture;
        int page = program.PageSize;
        void Line(string name, string value) => context.WriteLine($"{name,19}: {value}");

        Line("flags", $"({string.Join('|', MachineFlags.Of(program))})");
        Line("kvbase", layout.PageOffsetBase.ToString("x", ci));
        Line("identity_map_base", layout.PageOffsetBase.ToString("x", ci));
        Line("pagesize", page.ToString(ci));
        Line("pageshift", System.Numerics.BitOperations.Log2((uint)page).ToString(ci));
        Line("pagemask", (~(ulong)(page - 1)).ToString("x", ci));
        Line("pageoffset", (page - 1).ToString("x", ci));
        Line("hz", KernelClock.TryGetHz(program)?.ToString(ci) ?? "(unknown)");
        Line("mhz", KernelInfo.TryGetCpuMhz(program)?.ToString(ci) ?? "(unknown)");
        if (KernelInfo.TryGetMemoryBytes(program, page) is ulong memory)
        {
            Line("memsize", string.Create(ci, $"{memory} (0x{memory:x})"));
        }

        Line("bits", "64");
        Line("nr_irqs", program.Symbols.TryGetAddress("nr_irqs", out _) ? IrqDescriptors.Read(program).Count.ToString(ci) : "(unknown)");
        Line("paging levels", layout.PagingLevels.ToString(ci));
        Line("page_offset_base", layout.PageOffsetBase.ToString("x", ci));
        Line("vmalloc_start", layout.VmallocBase.ToString("x", ci));
        Line("vmemmap_vaddr", layout.VmemmapBase.ToString("x", ci));
        Line("modules_vaddr", layout.ModulesStart.ToString("x", ci));
        Line("phys_base", layout.PhysBase.ToString("x", ci));
        Line("kaslr offset", layout.KernelOffset is ulong k ? k.ToString("x", ci) : "(unknown)");
        var irq = MachineStacks.IrqStacks(program);
        Line("irq stack size", MachineStacks.IrqStackSize(program).ToString(ci));
        for (int cpu = 0; cpu < irq.Count; cpu++)
        {
            Line(string.Create(ci, $"irq stack[{cpu}]"), irq[cpu].ToString("x16", ci));
        }

        var names = new CodeAddressText(program);
        ulong[] idt = program.Symbols.TryGetAddress("idt_table", out ulong table) ? InterruptDescriptorTable.Read(program.Kernel, table) : [];
        foreach (var stack in MachineStacks.ExceptionStacks(program, idt, a => names.Describe(a) is { Length: > 0 } n ? n : null))
        {
            for (int cpu = 0; cpu < stack.Bases.Count; cpu++)
            {
                Line(string.Create(ci, $"{stack.Name} stack[{cpu}]"), string.Create(ci, $"{stack.Bases[cpu]:x16} ({stack.Size} bytes){(stack.Mapped[cpu] ? string.Empty : " [unavailable]")}"));
            }
        }

        if (program.Symbols.TryGetAddress("entry_stack_storage", out ulong entry))
        {
            // arch/x86/include/asm/processor.h: struct entry_stack_page, the per-CPU stack of the KPTI entry trampoline.
            for (int cpu = 0; cpu < program.CpuCount; cpu++)
            {
                Line(string.Create(ci, $"entry stack[{cpu}]"), program.PerCpuAddress(entry, cpu).ToString("x16", ci));
            }
        }
    }
}
