using Kdx.Commands.Infrastructure;
using Kdx.Core.Dumps;

namespace Kdx.Commands.Help;

/// <summary><c>help</c>: the command list, one command's help, and the dump's headers and notes.</summary>
public sealed class HelpCommand : Command
{
    private static readonly OptionParser Options = new("help", "Dnm");

    /// <inheritdoc/>
    public override string Name => "help";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Aliases => ["h"];

    /// <inheritdoc/>
    public override string Summary => "list the commands, explain one, or show the dump's headers and notes";

    /// <inheritdoc/>
    public override string Usage => "help [command | -D | -n | -m]";

    /// <inheritdoc/>
    public override string Help => """
        With no argument, lists every command with a one-line summary.
        With a command name, prints that command's synopsis, options and an example.

          -D  print the dump file's headers in crash's layout: for an ELF dump its summary
              (vmcore_data), the ELF header, every program header and the notes; for a compressed
              kdump the makedumpfile header of a flattened file, the disk_dump_header, the
              kdump_sub_header with VMCOREINFO and the decoded notes, once per file of a split
              dump. crash's own internals (its pointers, file descriptors, page cache) are not shown.
          -n  print the dump's ELF notes: each note header, the registers of NT_PRSTATUS notes,
              QEMU's CPU state and the VMCOREINFO text (crash prints its whole -D summary here).
          -m  print the machine data: the features crash names (VM_5LEVEL, RANDOMIZED, ORC, KPTI …),
              page size and masks, HZ, memory, the address-space bases, and each CPU's IRQ,
              exception and KPTI entry stacks.

        Example:
          kdx> help rd
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var o = Options.Parse(args);
        if (o.Has("D"))
        {
            DumpHeaderWriter.Write(context, context.Session.Program.Dump);
            return;
        }

        if (o.Has("m"))
        {
            MachineDataWriter.Write(context);
            return;
        }

        if (o.Has("n"))
        {
            DumpNotesWriter.Write(context, context.Session.Program.Dump);
            return;
        }

        if (o.Positionals.Count == 0)
        {
            int width = context.Session.Commands.All.Max(c => c.Name.Length);
            foreach (var c in context.Session.Commands.All)
            {
                context.WriteLine($"{c.Name.PadRight(width)}  {c.Summary}");
            }

            return;
        }

        foreach (var name in o.Positionals)
        {
            if (!context.Session.Commands.TryGet(name, out var c))
            {
                throw new CommandException($"help: no command named {name}");
            }

            WriteHelp(context, c);
        }
    }

    private static void WriteHelp(CommandContext context, Command c)
    {
        context.WriteLine("NAME");
        context.WriteLine($"  {c.Name} - {c.Summary}");
        context.WriteLine(string.Empty);
        context.WriteLine("SYNOPSIS");
        context.WriteLine($"  {c.Usage}");
        context.WriteLine(string.Empty);
        context.WriteLine("DESCRIPTION");
        foreach (var line in c.Help.TrimEnd().Split('\n'))
        {
            context.WriteLine(line.Length == 0 ? string.Empty : "  " + line);
        }

        context.WriteLine(string.Empty);
    }
}
