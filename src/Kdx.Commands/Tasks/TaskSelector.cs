using System.Globalization;
using System.Text.RegularExpressions;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux.Tasks;

namespace Kdx.Commands.Tasks;

/// <summary>
/// The task selectors of <c>foreach</c>, as crash reads them: PIDs, task_struct addresses, command names and
/// 'quoted' regular expressions name tasks (any of them may match); <c>kernel</c>, <c>user</c>,
/// <c>gleader</c>, <c>active</c> and one state (RU IN UN ST TR ZO DE PA WA ID NE SW; \DE for the state when DE
/// is also a PID) narrow them down (all must hold).
/// </summary>
public sealed class TaskSelector
{
    private static readonly string[] StateNames = ["RU", "IN", "UN", "ST", "TR", "ZO", "DE", "PA", "WA", "ID", "NE", "SW"];

    private readonly HashSet<long> _pids = [];
    private readonly HashSet<ulong> _addresses = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly List<Regex> _patterns = [];
    private bool _unknown;

    /// <summary>Only kernel threads.</summary>
    public bool Kernel { get; private set; }

    /// <summary>Only user tasks.</summary>
    public bool User { get; private set; }

    /// <summary>Only thread-group leaders of user processes (implies <see cref="User"/>).</summary>
    public bool GroupLeaders { get; private set; }

    /// <summary>Only the tasks that were running on a CPU.</summary>
    public bool Active { get; private set; }

    /// <summary>The two-letter state the tasks must be in, or null.</summary>
    public string? State { get; private set; }

    /// <summary>Whether some task was named (PID, address, name, pattern, or an argument that named nothing).</summary>
    public bool Named => _pids.Count > 0 || _addresses.Count > 0 || _names.Count > 0 || _patterns.Count > 0 || _unknown;

    /// <summary>
    /// Reads the selectors <paramref name="words"/>. A word that is no selector is reported through
    /// <paramref name="warn"/> and selects nothing, as in crash; contradictory selectors throw.
    /// </summary>
    public static TaskSelector Parse(IEnumerable<string> words, TaskList tasks, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(warn);
        var s = new TaskSelector();
        foreach (string w in words)
        {
            if (TaskArguments.IsNumber(w) && s.TryNumber(w, tasks))
            {
                continue;
            }

            if (w == "kernel" || w == "user" || w == "gleader")
            {
                if ((w == "kernel" && s.User) || (w != "kernel" && s.Kernel))
                {
                    throw new CommandException($"foreach: {(w == "gleader" ? "gleader" : "user")} and kernel are mutually exclusive");
                }

                s.Kernel |= w == "kernel";
                s.User |= w != "kernel";
                s.GroupLeaders |= w == "gleader";
                continue;
            }

            string state = w == "\\DE" ? "DE" : w;
            if (StateNames.Contains(state, StringComparer.Ordinal))
            {
                if (s.State is not null)
                {
                    throw new CommandException("foreach: only one task state allowed");
                }

                s.State = state;
                continue;
            }

            if (w == "active")
            {
                s.Active = true;
                continue;
            }

            if (w.Length >= 2 && w[0] == '\'' && w[^1] == '\'')
            {
                try
                {
                    s._patterns.Add(new Regex(w[1..^1], RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
                }
                catch (ArgumentException)
                {
                    throw new CommandException($"foreach: invalid regular expression: {w[1..^1]}");
                }

                continue;
            }

            string name = w.StartsWith('\\') ? w[1..] : w;
            if (tasks.Tasks.Any(t => t.Comm == name))
            {
                s._names.Add(name);
                continue;
            }

            // The command line has lost the quotes by now: a word that names no task is tried as a pattern.
            if (TryPattern(name) is { } pattern && tasks.Tasks.Any(t => pattern.IsMatch(t.Comm)))
            {
                s._patterns.Add(pattern);
                continue;
            }

            warn($"foreach: unknown argument: \"{w}\"");
            s._unknown = true;
        }

        return s;
    }

    /// <summary>Whether <paramref name="task"/> is selected (<paramref name="states"/> names its state).</summary>
    public bool Matches(KernelTask task, TaskStates states)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(states);
        if ((Active && !task.IsActive) || (User && task.IsKernelThread) || (Kernel && !task.IsKernelThread) ||
            (GroupLeaders && !task.IsGroupLeader) || (State is not null && !states.ShortName(task.State).StartsWith(State, StringComparison.Ordinal)))
        {
            return false;
        }

        return !Named || _addresses.Contains(task.Address) || _pids.Contains(task.Pid) || _names.Contains(task.Comm) ||
            _patterns.Any(p => p.IsMatch(task.Comm));
    }

    private static Regex? TryPattern(string text)
    {
        try
        {
            return new Regex(text, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    // A decimal PID that exists, else a task_struct address; anything else ("dd", "DE") is tried as a state or name.
    private bool TryNumber(string w, TaskList tasks)
    {
        bool hexPrefix = w.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (!hexPrefix && long.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out long pid) && tasks.WithPid(pid).Count > 0)
        {
            _pids.Add(pid);
            return true;
        }

        if (ulong.TryParse(hexPrefix ? w[2..] : w, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong address) && tasks.Find(address) is not null)
        {
            _addresses.Add(address);
            return true;
        }

        return false;
    }
}
