using Kdx.Commands.Infrastructure;
using Kdx.Core.Dumps;

namespace Kdx.Commands.Help;

/// <summary><c>help</c>: the command list, one command's help, and the dump's headers and notes.</summary>
public sealed class HelpCommand : Command
{
    private static readonly OptionParser Options = new("help", "Dn");

    /// <inheritdoc/>
    public override string Name => "help";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Aliases => ["h"];

    /// <inheritdoc/>
    public override string Summary => "list the commands, explain one, or show the dump's headers and notes";

    /// <inheritdoc/>
    public override string Usage => "help [command | -D | -n]";

    /// <inheritdoc/>
    public override string Help => """
        With no argument, lists every command with a one-line summary.
        With a command name, prints that command's synopsis, options and an example.

          -D  print the dump file's headers: the format, every header field by its name in the
              format's C definitions, and the memory ranges the dump holds.
          -n  print the dump's ELF notes: each note header, the registers of NT_PRSTATUS notes,
              QEMU's CPU state and the VMCOREINFO text.

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

/// <summary>Writes a <see cref="DumpDescription"/> tree as <c>name: value</c> lines, indented by depth.</summary>
internal static class DumpHeaderWriter
{
    public static void Write(CommandContext context, DumpFile dump)
    {
        var d = dump.Describe();
        Write(context, d, 0);
    }

    private static void Write(CommandContext context, DumpDescription node, int depth)
    {
        string indent = new(' ', depth * 2);
        context.WriteLine(node.Value is null ? $"{indent}{node.Name}:" : $"{indent}{node.Name}: {node.Value}");
        foreach (var child in node.Children)
        {
            Write(context, child, depth + 1);
        }
    }
}
