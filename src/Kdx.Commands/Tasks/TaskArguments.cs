using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux.Tasks;

namespace Kdx.Commands.Tasks;

/// <summary>
/// The task arguments of per-task commands, as crash reads them: a decimal number is a PID (PID 0 names every
/// CPU's idle task), otherwise a hexadecimal number is a task_struct address; and the task header line.
/// </summary>
public static class TaskArguments
{
    /// <summary>Whether <paramref name="word"/> is a number crash would take as a PID or task address.</summary>
    public static bool IsNumber(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        string hex = word.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? word[2..] : word;
        return hex.Length > 0 && hex.All(char.IsAsciiHexDigit);
    }

    /// <summary>
    /// The tasks <paramref name="word"/> names (a PID or a task_struct address), or an empty list when it is a
    /// number that names no task. Call only when <see cref="IsNumber"/> holds.
    /// </summary>
    public static IReadOnlyList<KernelTask> Resolve(TaskList tasks, string word)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(word);
        if (!word.StartsWith("0x", StringComparison.OrdinalIgnoreCase) &&
            long.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out long pid) && tasks.WithPid(pid) is { Count: > 0 } byPid)
        {
            return byPid;
        }

        string hex = word.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? word[2..] : word;
        return ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong address) && tasks.Find(address) is { } task
            ? [task]
            : [];
    }

    /// <summary>
    /// The tasks named by <paramref name="words"/> (all numbers), in order; a word that names no task is
    /// reported as crash does ("CMD: invalid task or pid value: WORD") and skipped. With no words: the
    /// session's current task.
    /// </summary>
    public static IReadOnlyList<KernelTask> Select(CommandContext context, string command, IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(words);
        var result = new List<KernelTask>();
        bool any = false;
        foreach (string w in words)
        {
            any = true;
            var found = IsNumber(w) ? Resolve(context.Session.Tasks, w) : [];
            if (found.Count == 0)
            {
                context.WriteLine($"{command}: invalid task or pid value: {w}");
                continue;
            }

            result.AddRange(found);
        }

        if (!any)
        {
            result.Add(context.Session.CurrentTask ?? throw new CommandException($"{command}: no current task (no task was found)"));
        }

        return result;
    }

    /// <summary>crash's task header: <c>PID: 198      TASK: ffff8e84c2cd20c0  CPU: 1    COMMAND: "sh"</c>.</summary>
    public static string Header(KernelTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return string.Create(CultureInfo.InvariantCulture, $"PID: {task.Pid,-7}  TASK: {task.Address,-16:x}  CPU: {task.Cpu,-3}  COMMAND: \"{task.Comm}\"");
    }
}
