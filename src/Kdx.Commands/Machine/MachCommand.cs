using System.Globalization;
using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Commands.Kernel;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Linux;
using Kdx.Core.Model;

namespace Kdx.Commands.Machine;

/// <summary><c>mach</c>: machine data: address-space bases, stacks per CPU, the e820 map, cpuinfo.</summary>
public sealed class MachCommand : Command
{
    private static readonly OptionParser Options = new("mach", "cmxd");

    /// <inheritdoc/>
    public override string Name => "mach";

    /// <inheritdoc/>
    public override string Summary => "machine specific data";

    /// <inheritdoc/>
    public override string Usage => "mach [-m | -c [-x|-d]]";

    /// <inheritdoc/>
    public override string Help => """
        Shows facts about the crashed machine: its type, memory size, CPU count and speed, HZ,
        page size, where the kernel's address-space regions start (the direct map, vmalloc,
        vmemmap, the kernel image, modules), the kernel and IRQ stack sizes, and each CPU's IRQ
        stack and exception stacks (double fault, NMI, debug, machine check, VC: one per IST
        slot, named after the IDT handler that uses it; "[unavailable]" when the dump does not
        map it).

          -m     the firmware's e820 memory map as the kernel kept it.
          -c     each CPU's struct cpuinfo_x86 (per-CPU cpu_info).
          -x/-d  with -c: integers in hexadecimal / decimal.

        Examples:
          kdx> mach
          kdx> mach -c -x
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var o = Options.Parse(args);
        var program = context.Session.Program;
        if (o.Has("m"))
        {
            context.WriteLine("      PHYSICAL ADDRESS RANGE         TYPE");
            foreach (var r in MachineStacks.E820(program))
            {
                context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Start:x16} - {r.End:x16}  {MachineStacks.E820TypeName(r.Type)}"));
            }
        }
        else if (o.Has("c"))
        {
            CpuInfo(context, program, o.Has("x") ? 16 : o.Has("d") ? 10 : context.Session.OutputRadix);
        }
        else
        {
            Overview(context, program);
        }
    }

    private static void Overview(CommandContext context, KernelProgram program)
    {
        var ci = CultureInfo.InvariantCulture;
        var layout = program.Layout;
        int cpus = program.CpuCount;
        int? online = KernelInfo.TryCountCpus(program, "__cpu_online_mask");
        context.WriteLine($"          MACHINE TYPE: {KernelInfo.TryGetUtsname(program)?.Machine ?? "x86_64"}");
        context.WriteLine($"           MEMORY SIZE: {(KernelInfo.TryGetMemoryBytes(program, program.PageSize) is ulong bytes ? SysCommand.FormatMemory(bytes) : "(unknown)")}");
        context.WriteLine(string.Create(ci, $"                  CPUS: {cpus}{(online is int on && on < cpus ? $" [OFFLINE: {cpus - on}]" : string.Empty)}"));
        context.WriteLine($"       PROCESSOR SPEED: {(KernelInfo.TryGetCpuMhz(program) is ulong mhz and > 0 ? mhz.ToString(ci) + " Mhz" : "(unknown)")}");
        context.WriteLine($"                    HZ: {(KernelClock.TryGetHz(program) is int hz ? hz.ToString(ci) : "(unknown)")}");
        context.WriteLine(string.Create(ci, $"             PAGE SIZE: {program.PageSize}"));
        context.WriteLine(string.Create(ci, $"   KERNEL VIRTUAL BASE: {layout.PageOffsetBase:x}"));
        context.WriteLine(string.Create(ci, $"   KERNEL VMALLOC BASE: {layout.VmallocBase:x}"));
        context.WriteLine(string.Create(ci, $"   KERNEL VMEMMAP BASE: {layout.VmemmapBase:x}"));
        context.WriteLine(string.Create(ci, $"      KERNEL START MAP: {X86_64KernelLayout.StartKernelMap:x}"));
        context.WriteLine(string.Create(ci, $"   KERNEL MODULES BASE: {layout.ModulesStart:x}"));
        context.WriteLine(string.Create(ci, $"     KERNEL STACK SIZE: {ThreadSize(program)}"));
        context.WriteLine(string.Create(ci, $"        IRQ STACK SIZE: {MachineStacks.IrqStackSize(program)}"));
        context.WriteLine("            IRQ STACKS:");
        var irq = MachineStacks.IrqStacks(program);
        for (int cpu = 0; cpu < irq.Count; cpu++)
        {
            context.WriteLine(string.Create(ci, $"{"CPU " + cpu.ToString(ci),22}: {irq[cpu]:x16}"));
        }

        var names = new CodeAddressText(program);
        ulong[] idt = program.Symbols.TryGetAddress("idt_table", out ulong table) ? InterruptDescriptorTable.Read(program.Kernel, table) : [];
        foreach (var stack in MachineStacks.ExceptionStacks(program, idt, a => names.Describe(a) is { Length: > 0 } n ? n : null))
        {
            context.WriteLine(string.Create(ci, $"{stack.Name,11} STACK SIZE: {stack.Size}"));
            context.WriteLine($"{stack.Name + " STACKS:",23}");
            for (int cpu = 0; cpu < stack.Bases.Count && stack.Bases[cpu] != 0; cpu++)
            {
                context.WriteLine(string.Create(ci, $"{"CPU " + cpu.ToString(ci),22}: {stack.Bases[cpu]:x16}{(stack.Mapped[cpu] ? string.Empty : " [unavailable]")}"));
            }
        }
    }

    // THREAD_SIZE: the size of union thread_union (16 KiB on x86-64 since v3.15, 32 KiB with KASAN).
    private static long ThreadSize(KernelProgram program) =>
        program.Types.FindType("thread_union", Core.Types.TypeKind.Union) is { IsComplete: true, Size: > 0 } t ? (long)t.Size : 16384;

    private static void CpuInfo(CommandContext context, KernelProgram program, int radix)
    {
        if (!program.Symbols.TryGetAddress("cpu_info", out ulong cpuInfo) || program.Types.FindType("cpuinfo_x86", Core.Types.TypeKind.Struct) is not { } type)
        {
            throw new CommandException("mach: -c needs the per-CPU cpu_info and struct cpuinfo_x86");
        }

        var printer = new ValuePrinter(program, radix);
        for (int cpu = 0; cpu < program.CpuCount; cpu++)
        {
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(cpu > 0 ? "\n" : string.Empty)}CPU {cpu}:"));
            foreach (var line in printer.StructLines(KObject.FromAddress(program, type, program.PerCpuAddress(cpuInfo, cpu))))
            {
                context.WriteLine(line);
            }
        }
    }
}
