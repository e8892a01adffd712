using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux.Tasks;

namespace Kdx.Commands.Tasks;

/// <summary>
/// A command whose arguments are tasks (PIDs or task_struct addresses; none: the current task) and that
/// answers for each in turn; <c>foreach</c> runs it the same way for the tasks it selects.
/// </summary>
public abstract class PerTaskCommand : Command, IPerTaskCommand
{
    /// <summary>The command's options.</summary>
    protected abstract OptionParser Options { get; }

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        var o = Options.Parse(args);
        if (RunWithoutTasks(context, o))
        {
            return;
        }

        Run(context, o, TaskArguments.Select(context, Name, o.Positionals));
    }

    /// <inheritdoc/>
    public void RunForTasks(CommandContext context, IReadOnlyList<string> options, IReadOnlyList<KernelTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(context);
        var o = Options.Parse(options);
        if (o.Positionals.Count > 0)
        {
            throw new CommandException($"{Name}: unexpected argument under foreach: {o.Positionals[0]}");
        }

        Run(context, o, tasks);
    }

    /// <summary>Answers an option that needs no task (e.g. <c>sig -l</c>); true when it did.</summary>
    protected virtual bool RunWithoutTasks(CommandContext context, ParsedOptions options) => false;

    /// <summary>Answers for each of <paramref name="tasks"/>.</summary>
    protected abstract void Run(CommandContext context, ParsedOptions options, IReadOnlyList<KernelTask> tasks);
}
