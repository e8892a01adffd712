using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux.Tasks;

namespace Kdx.Commands.Tasks;

/// <summary><c>set</c>: shows or changes the session's current task (crash's context).</summary>
public sealed class SetCommand : Command
{
    private static readonly OptionParser Options = new("set", "p", "c");

    /// <inheritdoc/>
    public override string Name => "set";

    /// <inheritdoc/>
    public override string Summary => "show or change the current task";

    /// <inheritdoc/>
    public override string Usage => "set [pid | task | -c cpu | -p]";

    /// <inheritdoc/>
    public override string Help => """
        The per-task commands (task, files, vm, sig, ps -a …) answer for the session's current
        task when no task is named. It starts as the task that was running on the CPU that
        panicked. Without arguments, set shows it: its PID, command, task_struct address, CPU
        and state, marked (PANIC) when it is the panic task and (ACTIVE) when it was running on
        another CPU.

          pid      make the task with this PID current (PID 0 is ambiguous: use an address).
          task     make the task with this task_struct address (hexadecimal) current.
          -c cpu   make the task that was running on this CPU current.
          -p       go back to the panic task.

        Examples:
          kdx> set 1
          kdx> set -c 0
          kdx> set -p
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        var o = Options.Parse(args);
        var session = context.Session;
        if (o.Value("c") is { } cpuText)
        {
            if (!int.TryParse(cpuText, NumberStyles.None, CultureInfo.InvariantCulture, out int cpu) || cpu >= session.Program.CpuCount)
            {
                throw new CommandException($"set: invalid cpu number: {cpuText}");
            }

            session.CurrentTask = session.Tasks.ActiveOn(cpu) ?? throw new CommandException($"set: the task running on cpu {cpu} is not known");
        }
        else if (o.Has("p"))
        {
            session.CurrentTask = session.PanicTask ?? throw new CommandException("set: no panic task found");
        }
        else if (o.Positionals.Count > 0)
        {
            string word = o.Positionals[0];
            if (o.Positionals.Count > 1 || !TaskArguments.IsNumber(word))
            {
                throw new CommandException($"set: only the current task can be set here: {string.Join(' ', o.Positionals)}");
            }

            var found = TaskArguments.Resolve(session.Tasks, word);
            if (found.Count == 0)
            {
                throw new CommandException($"set: invalid task or pid value: {word}");
            }

            if (found.Count > 1)
            {
                throw new CommandException($"set: pid {word} has {found.Count} tasks: use a task address");
            }

            session.CurrentTask = found[0];
        }

        ShowContext(context, session.CurrentTask ?? throw new CommandException("set: no current task (no task was found)"));
    }

    /// <summary>crash's context block (PID, COMMAND, TASK, CPU, STATE), as <c>set</c> prints it.</summary>
    public static void ShowContext(CommandContext context, KernelTask task)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(task);
        var session = context.Session;
        var ci = CultureInfo.InvariantCulture;
        int samePid = session.Tasks.WithPid(task.Pid).Count;
        context.WriteLine(string.Create(ci, $"    PID: {task.Pid}"));
        context.WriteLine($"COMMAND: \"{task.Comm}\"");
        context.WriteLine(string.Create(ci, $"   TASK: {task.Address:x}  {(samePid > 1 ? $"(1 of {samePid})  " : string.Empty)}[THREAD_INFO: {task.Address:x}]"));
        context.WriteLine(string.Create(ci, $"    CPU: {task.Cpu}"));
        string mark = !task.IsActive ? string.Empty : session.PanicTask?.Address == task.Address ? " (PANIC)" : " (ACTIVE)";
        context.WriteLine($"  STATE: {session.Tasks.States.VerboseName(task.State)}{mark}");
    }
}
