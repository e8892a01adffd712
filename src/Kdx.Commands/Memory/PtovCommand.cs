using System.Globalization;
using Kdx.Commands.Infrastructure;

namespace Kdx.Commands.Memory;

/// <summary><c>ptov</c>: physical to direct-map virtual addresses, and per-CPU offsets to each CPU's address.</summary>
public sealed class PtovCommand : Command
{
    private static readonly OptionParser Options = new("ptov", string.Empty);

    /// <inheritdoc/>
    public override string Name => "ptov";

    /// <inheritdoc/>
    public override string Summary => "physical to virtual; per-cpu offset to virtual";

    /// <inheritdoc/>
    public override string Usage => "ptov [address | offset:cpuspec] ...";

    /// <inheritdoc/>
    public override string Help => """
        Translates each hexadecimal physical address to its kernel virtual address in the direct
        map (page_offset_base + address).

        With "offset:cpuspec", translates a per-CPU offset (e.g. the value of a per-CPU symbol)
        to its address on each CPU of the list: offset + __per_cpu_offset[cpu].
          offset:          the CPU that crashed (when the dump says which one).
          offset:a[ll]     every CPU.
          offset:1,3-5     a list of CPUs and ranges.

        Examples:
          kdx> ptov 56e000
          kdx> ptov 2b6c0:a
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var o = Options.Parse(args);
        if (o.Positionals.Count == 0)
        {
            throw new CommandException("missing address (usage: ptov address | offset:cpuspec ...)");
        }

        var ci = CultureInfo.InvariantCulture;
        var program = context.Session.Program;
        int others = 0;
        foreach (string word in o.Positionals)
        {
            if (others++ > 0)
            {
                context.WriteLine(string.Empty);
            }

            int colon = word.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                ulong physical = Number(word, program);
                ulong virt = program.Kernel.PhysicalToVirtual(physical);
                context.WriteLine($"{"VIRTUAL",-16}  {"PHYSICAL",-16}");
                context.WriteLine($"{virt.ToString("x", ci),-16}  {physical.ToString("x", ci),-16}");
                continue;
            }

            ulong offset = Number(word[..colon], program);
            var offsets = program.Layout.PerCpuOffsets;
            if (offsets.Count == 0)
            {
                throw new CommandException("per-CPU offsets are unknown (needs the __per_cpu_offset symbol: give a vmlinux or System.map)");
            }

            string spec = word[(colon + 1)..];
            IReadOnlyList<int> cpus = spec.Length > 0 ? CpuSpec.Parse(spec, offsets.Count)
                : program.Dump.PanicCpu is { } panic && panic >= 0 && panic < offsets.Count ? [panic]
                : throw new CommandException("the current CPU is not known (the task layer is not available yet): give a CPU list");

            int width = string.Create(ci, $"[{offsets.Count - 1}]").Length + 2;
            context.WriteLine(string.Create(ci, $"PER-CPU OFFSET: {offset:x}"));
            context.WriteLine($"  {"CPU".PadRight(width)}  {"VIRTUAL",-16}");
            foreach (int cpu in cpus)
            {
                string label = string.Create(ci, $"[{cpu}]").PadRight(width);
                context.WriteLine(string.Create(ci, $"  {label}{unchecked(offset + offsets[cpu]):x}"));
            }
        }
    }

    // A hexadecimal number (crash's htoll), or an expression in parentheses.
    private static ulong Number(string word, Kdx.Core.Model.KernelProgram program) =>
        word.StartsWith('(')
            ? IntegerExpression.Evaluate(word, name => program.Symbols.TryGetAddress(name, out var a) ? a : null)
            : NumberArgument.ParseHex(word);
}
