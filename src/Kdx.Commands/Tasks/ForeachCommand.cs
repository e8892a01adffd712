using Kdx.Commands.Infrastructure;

namespace Kdx.Commands.Tasks;

/// <summary><c>foreach</c>: runs a per-task command for every task a set of selectors picks.</summary>
public sealed class ForeachCommand : Command
{
    /// <inheritdoc/>
    public override string Name => "foreach";

    /// <inheritdoc/>
    public override string Summary => "run a command for each selected task";

    /// <inheritdoc/>
    public override string Usage => "foreach [pid | task | name | 'regex' | kernel | user | gleader | active | state] ... command [options]";

    /// <inheritdoc/>
    public override string Help => """
        Runs a per-task command (ps, task, files, vm, sig, net …) once for each task the
        selectors pick, in ps order, each answer under its task's header line. Without
        selectors every task is taken.

          pid | task   a PID (decimal) or a task_struct address (hexadecimal).
          name         tasks with this command name ("\name" when the name looks like a
                       selector or a number).
          'regex'      tasks whose command name matches the regular expression (a word
                       that names no task is tried as one too).
                       PIDs, addresses, names and expressions add up: a task named by any
                       of them is taken.
          kernel       only kernel threads;     user  only user tasks;
          gleader      only the leaders of user thread groups;
          active       only the tasks that were running on a CPU;
          state        only tasks in this state: RU IN UN ST TR ZO DE PA WA ID NE SW
                       (\DE for the state when DE could be read as a PID).
                       These narrow the choice down: a task must pass all of them.
        The command's own options follow its name (e.g. foreach user task -R comm).

        Examples:
          kdx> foreach RU ps
          kdx> foreach 'kworker.*' task -R flags
          kdx> foreach sh files
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(args);
        var session = context.Session;
        int at = -1;
        for (int i = 0; i < args.Count && at < 0; i++)
        {
            if (!IsOption(args[i]) && session.Commands.TryGet(args[i], out var c) && c is IPerTaskCommand)
            {
                at = i;
            }
        }

        if (at < 0)
        {
            throw new CommandException($"foreach: no command given (one of: {string.Join(", ", session.Commands.All.OfType<IPerTaskCommand>().Select(c => c.Name))})");
        }

        session.Commands.TryGet(args[at], out var named);
        var command = (IPerTaskCommand)named!;

        // Options before the command's name belong to the command, as crash's foreach passes them on.
        var options = args.Take(at).Where(IsOption).Concat(args.Skip(at + 1)).ToList();
        var selector = TaskSelector.Parse(args.Take(at).Where(a => !IsOption(a)), session.Tasks, context.WriteLine);
        var tasks = session.Tasks.Tasks.Where(t => selector.Matches(t, session.Tasks.States)).ToList();
        command.RunForTasks(context, options, tasks);
    }

    private static bool IsOption(string word) => word.Length > 1 && word[0] == '-' && !char.IsAsciiDigit(word[1]);
}
