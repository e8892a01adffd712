using Kdx.Core.Linux.Tasks;

namespace Kdx.Commands.Infrastructure;

/// <summary>
/// A command that answers for tasks (ps, task, files, vm, sig, net …): <c>foreach</c> selects the tasks and hands
/// them over with the command's own options, and the command prints its answer for each as it does for
/// several tasks named on its own command line.
/// </summary>
public interface IPerTaskCommand
{
    /// <summary>The command's name (what <c>foreach</c> recognises).</summary>
    string Name { get; }

    /// <summary>
    /// Runs the command with <paramref name="options"/> (its own options, no task arguments) for each of
    /// <paramref name="tasks"/>, in order. Throws <see cref="Kdx.Core.KdxException"/> for a bad option.
    /// </summary>
    void RunForTasks(CommandContext context, IReadOnlyList<string> options, IReadOnlyList<KernelTask> tasks);
}
