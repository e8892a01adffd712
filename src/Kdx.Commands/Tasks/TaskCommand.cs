using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux.Tasks;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Tasks;

/// <summary><c>task</c>: a task's task_struct and thread_info as <c>struct</c> prints them, or some of their members.</summary>
public sealed class TaskCommand : Command, IPerTaskCommand
{
    private static readonly OptionParser Options = new("task", "xdh", "R");

    /// <inheritdoc/>
    public override string Name => "task";

    /// <inheritdoc/>
    public override string Summary => "task_struct and thread_info contents";

    /// <inheritdoc/>
    public override string Usage => "task [-R member[,member]] [-x|-d] [pid | task] ...";

    /// <inheritdoc/>
    public override string Help => """
        Prints a task's struct task_struct and then its struct thread_info, each as the struct
        command prints a structure at an address, under a line naming the task (PID, task_struct
        address, CPU, command). Without a task it answers for the current task (see set).

          pid | task           the tasks to show: a decimal PID (PID 0 is every CPU's idle
                               task) or a hexadecimal task_struct address; several may be given.
          -R member[,member]   only these members, each as "  name = value," (a member found in
                               both structures is shown twice). A member name, or a list with
                               commas, may also be given without -R; "a.b" and "a[i]" name
                               members of members.
          -x, -d               integers in hexadecimal or decimal, whatever the output radix.

        Examples:
          kdx> task
          kdx> task -R pid,comm,__state 1
          kdx> task -x 0xffff8e84c2cd20c0
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        var o = Options.Parse(args);
        var members = Members(o);
        var words = new List<string>();
        var taskType = TaskType(context);
        foreach (string w in o.Positionals)
        {
            if (TaskArguments.IsNumber(w))
            {
                words.Add(w);
            }
            else if (w.Contains(',', StringComparison.Ordinal) || w.Contains('.', StringComparison.Ordinal) || w.Contains('[', StringComparison.Ordinal) || taskType.TryFindMember(w, out _, out _))
            {
                members.AddRange(w.Split(',', StringSplitOptions.RemoveEmptyEntries));
            }
            else
            {
                context.WriteLine($"task: invalid task, pid, or task_struct member: {w}");
                return;
            }
        }

        var tasks = TaskArguments.Select(context, Name, words);
        Show(context, o, members, tasks);
    }

    /// <inheritdoc/>
    public void RunForTasks(CommandContext context, IReadOnlyList<string> options, IReadOnlyList<KernelTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(context);
        var o = Options.Parse(options);
        if (o.Positionals.Count > 0)
        {
            throw new CommandException($"task: unexpected argument under foreach: {o.Positionals[0]}");
        }

        Show(context, o, Members(o), tasks);
    }

    private static List<string> Members(ParsedOptions o) =>
        [.. o.Values("R").SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries))];

    private static KType TaskType(CommandContext context) =>
        context.Session.Program.Types.FindType("task_struct", TypeKind.Struct) ?? throw new CommandException("task: the kernel's types have no struct task_struct");

    private static void Show(CommandContext context, ParsedOptions o, List<string> members, IReadOnlyList<KernelTask> tasks)
    {
        if (o.Has("x") && o.Has("d"))
        {
            throw new CommandException("task: -d and -x are mutually exclusive");
        }

        var program = context.Session.Program;
        var taskType = TaskType(context);
        foreach (string m in members)
        {
            if (!m.Contains('.', StringComparison.Ordinal) && !m.Contains('[', StringComparison.Ordinal) &&
                !taskType.TryFindMember(m, out _, out _) && program.Types.FindType("thread_info", TypeKind.Struct)?.TryFindMember(m, out _, out _) != true)
            {
                throw new CommandException($"task: {m}: not a task_struct or thread_info member");
            }
        }

        int radix = o.Has("x") || o.Has("h") ? 16 : o.Has("d") ? 10 : context.Session.OutputRadix;
        var printer = new ValuePrinter(program, radix);
        var infoType = program.Types.FindType("thread_info", TypeKind.Struct);
        foreach (var task in tasks)
        {
            context.WriteLine(TaskArguments.Header(task));
            var taskLines = printer.StructLines(KObject.FromAddress(program, new QualifiedType(taskType), task.Address));
            List<string> infoLines = infoType is not null && ThreadInfo.AddressOf(program, task) is ulong ti
                ? printer.StructLines(KObject.FromAddress(program, new QualifiedType(infoType), ti))
                : [];
            if (members.Count == 0)
            {
                Write(context, taskLines);
                if (infoLines.Count > 0)
                {
                    context.WriteLine(string.Empty);
                    Write(context, infoLines);
                }
            }
            else
            {
                foreach (string m in members)
                {
                    if (m.Contains('.', StringComparison.Ordinal) || m.Contains('[', StringComparison.Ordinal))
                    {
                        Write(context, printer.MemberLines(KObject.FromAddress(program, new QualifiedType(taskType), task.Address), [m]));
                        continue;
                    }

                    Write(context, MemberLines(taskLines, m));
                    Write(context, MemberLines(infoLines, m));
                }
            }

            context.WriteLine(string.Empty);
        }
    }

    private static void Write(CommandContext context, IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            context.WriteLine(line);
        }
    }

    /// <summary>
    /// The lines of a printed structure that show top-level member <paramref name="member"/>: its "  name = "
    /// line and, for a structure or array value spread over lines, every line to its closing brace. Members of
    /// an unnamed top-level struct or union (a randomized layout's "  {" block) are found one level deeper.
    /// </summary>
    public static List<string> MemberLines(IReadOnlyList<string> structLines, string member)
    {
        ArgumentNullException.ThrowIfNull(structLines);
        var result = new List<string>();
        bool inAnonymous = false;
        string? closeAt = null;
        foreach (string line in structLines)
        {
            if (closeAt is not null)
            {
                result.Add(line);
                if (line.StartsWith(closeAt, StringComparison.Ordinal) && line.TrimStart().StartsWith('}'))
                {
                    closeAt = null;
                }

                continue;
            }

            if (line == "  {")
            {
                inAnonymous = true;
            }
            else if (inAnonymous && line.StartsWith("  }", StringComparison.Ordinal) && line.Length <= 4)
            {
                inAnonymous = false;
            }

            string prefix = (inAnonymous ? "    " : "  ") + member + " = ";
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            result.Add(line);
            if (line.EndsWith('{'))
            {
                closeAt = new string(' ', line.Length - line.TrimStart().Length) + "}";
            }
        }

        return result;
    }
}
