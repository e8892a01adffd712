using System.Globalization;
using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Linux.Irq;
using Kdx.Core.Model;

namespace Kdx.Commands.Irq;

/// <summary><c>irq</c>: interrupt descriptors and actions, the IDT, softirq vectors, affinity and counts.</summary>
public sealed class IrqCommand : Command
{
    private static readonly OptionParser Options = new("irq", "dbuasp", "c");

    /// <inheritdoc/>
    public override string Name => "irq";

    /// <inheritdoc/>
    public override string Summary => "IRQ data";

    /// <inheritdoc/>
    public override string Usage => "irq [[[index ...] | -u] | -d | -b | -p | -a | -s [-c cpu(s)]]";

    /// <inheritdoc/>
    public override string Help => """
        Shows the kernel's interrupts. The descriptors come from the maple tree sparse_irqs
        (6.5+), the radix tree irq_desc_tree, or the static irq_desc[] array, whichever the
        kernel has.

        Without options: one line per IRQ number below nr_irqs: its irq_desc, the irqaction
        of each handler sharing it (one line each) and the handler's name; "(unused)" where
        there is no descriptor or no handler.

          index  only these IRQ numbers.
          -u     only the IRQs that have a descriptor.
          -d     the x86-64 interrupt descriptor table: the entry point of each of the 256
                 vectors.
          -b     the softirq vectors (softirq_vec[]) and their handlers.
          -p     each CPU's pending softirqs (irq_stat.__softirq_pending), by name.
          -a     the CPUs each IRQ with a handler may be delivered to.
          -s     per-CPU interrupt counts, as /proc/interrupts shows them, with the chip and
                 flow names and the handlers' names.
          -c cpus  with -s: only these CPUs ("1", "0,2", "0-3").

        Examples:
          kdx> irq -u
          kdx> irq -s -c 0
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var o = Options.Parse(args);
        var program = context.Session.Program;
        if (o.Has("d"))
        {
            Idt(context, program);
            return;
        }

        if (o.Has("b"))
        {
            Vectors(context, program);
            return;
        }

        if (o.Has("p"))
        {
            Pending(context, program);
            return;
        }

        if (o.Has("c") && !o.Has("s"))
        {
            throw new CommandException("irq: -c is used with -s");
        }

        var irqs = context.Session.Program.Derived(p => IrqDescriptors.Read(p));
        if (irqs.Count == 0)
        {
            throw new CommandException("irq: cannot determine the number of IRQs");
        }

        if (o.Has("a"))
        {
            Affinity(context, irqs);
        }
        else if (o.Has("s"))
        {
            var cpus = o.Value("c") is { } spec ? CpuSpec.Parse(spec, program.CpuCount) : Enumerable.Range(0, program.CpuCount).ToList();
            Counts(context, irqs, cpus);
        }
        else
        {
            Table(context, irqs, o.Positionals, inUseOnly: o.Has("u"));
        }

        foreach (var p in irqs.Problems)
        {
            context.WriteLine($"irq: {p}");
        }
    }

    private static void Table(CommandContext context, IrqDescriptors irqs, List<string> numbers, bool inUseOnly)
    {
        var selected = new List<int>();
        foreach (string n in numbers)
        {
            if (!int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out int irq))
            {
                throw new CommandException($"irq: invalid IRQ number: {n}");
            }

            if (irq >= irqs.Count)
            {
                throw new CommandException($"irq: invalid IRQ value: {irq}  ({irqs.Count - 1} max)");
            }

            selected.Add(irq);
        }

        // A number given explicitly is shown even when unused, as crash does.
        inUseOnly &= selected.Count == 0;
        context.WriteLine($" IRQ  {CrashColumns.Center("IRQ_DESC/_DATA", 16)}  {CrashColumns.Center("IRQACTION", 16)}  NAME");
        string unused = CrashColumns.Center("(unused)", 16);
        foreach (int irq in selected.Count > 0 ? selected : Enumerable.Range(0, irqs.Count))
        {
            var d = irqs.Find(irq);
            if (d is null && inUseOnly)
            {
                continue;
            }

            string number = CrashColumns.Center(irq.ToString(CultureInfo.InvariantCulture), 4, leanRight: true);
            string desc = d is null ? unused : d.Address.ToString("x16", CultureInfo.InvariantCulture);
            if (d is null || d.Actions.Count == 0)
            {
                context.WriteLine($"{number}  {desc}  {unused}  ");
            }
            else
            {
                string lead = $"{number}  {desc}  ";
                foreach (var a in d.Actions)
                {
                    context.WriteLine($"{lead}{a.Address:x16}  {(a.Name is null ? string.Empty : $"\"{a.Name}\"")}");
                    lead = new string(' ', 4 + 2 + 16 + 2);
                }
            }

            if (d?.Problem is { } problem)
            {
                context.WriteLine($"irq: {problem}");
            }
        }
    }

    private static void Affinity(CommandContext context, IrqDescriptors irqs)
    {
        context.WriteLine("IRQ NAME                 AFFINITY");
        foreach (int irq in irqs.Numbers)
        {
            if (irqs.Find(irq) is not { Actions.Count: > 0 } d)
            {
                continue;
            }

            string cpus = irqs.Affinity(d) is { } list ? CpuRanges(list) : "(unreadable)";
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{irq,3} {Names(d),-20} {cpus}"));
        }
    }

    private static void Counts(CommandContext context, IrqDescriptors irqs, IReadOnlyList<int> cpus)
    {
        var ci = CultureInfo.InvariantCulture;
        context.WriteLine("     " + string.Concat(cpus.Select(c => $"{"CPU" + c.ToString(ci),10} ")));
        foreach (int irq in irqs.Numbers)
        {
            if (irqs.Find(irq) is not { Actions.Count: > 0 } d)
            {
                continue;
            }

            var counts = irqs.CountsPerCpu(d);
            string chip = d.ChipName is null ? string.Empty : $"{d.ChipName,8}" + (d.FlowName is null ? string.Empty : $"-{d.FlowName,-8}");
            context.WriteLine(string.Create(ci, $"{irq,3}: {string.Concat(cpus.Select(c => $"{counts[c],10} "))}{chip} {Names(d)}"));
        }
    }

    private static void Vectors(CommandContext context, KernelProgram program)
    {
        var names = new CodeAddressText(program);
        context.WriteLine($"SOFTIRQ_VEC {CrashColumns.Center("ACTION", 16, leanRight: true)}");
        var actions = Softirqs.Actions(program);
        for (int i = 0; i < actions.Count; i++)
        {
            if (actions[i] == 0)
            {
                continue;
            }

            string module = program.ModuleAt(actions[i]) is { } m ? $"  [{m.Name}]" : string.Empty;
            string name = names.Describe(actions[i]);
            string exact = name.Contains('+', StringComparison.Ordinal) ? string.Empty : name; // crash names only exact symbol addresses here
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    [{i}]{(i < 10 ? "    " : "   ")} {actions[i]:x16}  <{exact}>{module}"));
        }
    }

    private static void Pending(CommandContext context, KernelProgram program)
    {
        context.WriteLine("CPU  PENDING  SOFTIRQS");
        for (int cpu = 0; cpu < program.CpuCount; cpu++)
        {
            string line = Softirqs.Pending(program, cpu) is uint mask
                ? string.Create(CultureInfo.InvariantCulture, $"{cpu,3}  {mask,7:x}  {Softirqs.Describe(mask)}")
                : string.Create(CultureInfo.InvariantCulture, $"{cpu,3}  (unreadable)");
            context.WriteLine(line);
        }
    }

    private static void Idt(CommandContext context, KernelProgram program)
    {
        if (!program.Symbols.TryGetAddress("idt_table", out ulong table))
        {
            throw new CommandException("irq: -d needs the symbol idt_table");
        }

        var names = new CodeAddressText(program);
        var handlers = InterruptDescriptorTable.Read(program.Kernel, table);
        for (int i = 0; i < handlers.Length; i++)
        {
            string name = names.Describe(handlers[i]);
            string pad = i < 10 ? "  " : i < 100 ? " " : string.Empty;
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pad}[{i}] {(name.Length > 0 ? name : handlers[i].ToString("x16", CultureInfo.InvariantCulture))}"));
        }
    }

    private static string Names(IrqDescriptor d) => string.Join(',', d.Actions.Where(a => a.Name is not null).Select(a => a.Name));

    // "0-1,3": runs of consecutive CPUs.
    private static string CpuRanges(IReadOnlyList<int> cpus)
    {
        var parts = new List<string>();
        for (int i = 0; i < cpus.Count;)
        {
            int j = i;
            while (j + 1 < cpus.Count && cpus[j + 1] == cpus[j] + 1)
            {
                j++;
            }

            parts.Add(i == j ? cpus[i].ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{cpus[i]}-{cpus[j]}"));
            i = j + 1;
        }

        return string.Join(',', parts);
    }
}
