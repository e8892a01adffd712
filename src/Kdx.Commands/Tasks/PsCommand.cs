using System.Globalization;
using System.Text.RegularExpressions;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Linux.Tasks;
using Kdx.Core.Memory;

namespace Kdx.Commands.Tasks;

/// <summary><c>ps</c>: the tasks of the crashed kernel, in crash's columns.</summary>
public sealed class PsCommand : Command, IPerTaskCommand
{
    private static readonly OptionParser Options = new("ps", "kuGAa");

    /// <inheritdoc/>
    public override string Name => "ps";

    /// <inheritdoc/>
    public override string Summary => "display process status information";

    /// <inheritdoc/>
    public override string Usage => "ps [-k|-u] [-G] [-A] [-a] [pid | task | command] ...";

    /// <inheritdoc/>
    public override string Help => """
        Lists every task (thread) of the crashed kernel, one line each, sorted by PID, the idle
        tasks (PID 0) first, one per CPU. Tasks are found on the process list, the thread lists,
        the PID IDR and the CPUs' run queues; a task seen in only some of them is still listed
        and the disagreement is reported after the list.

          PID   the thread id; PPID its parent's; CPU the CPU it last ran on;
          TASK  its task_struct address; ST its state (RU running, IN interruptible,
                UN uninterruptible, ID idle, ZO zombie, ST stopped, TR traced, DE dead,
                PA parked, WA waking, NE new);
          %MEM, VSZ, RSS  its memory: share of RAM, virtual size and resident size in KiB;
          COMM  its command name; kernel threads are shown in brackets.
        A ">" marks the task each CPU was running when the kernel stopped.

          -k  kernel threads only.        -u  user tasks only.
          -G  one line per thread group (the group leaders).
          -A  only the tasks that were running on a CPU.
          -a  instead of the table: each task's command line (ARG) and environment (ENV),
              read from its user stack; kernel threads have none.
          pid | task | command   only these tasks (a number is a PID, a hexadecimal kernel
                address a task_struct, anything else a command name).

        Examples:
          kdx> ps
          kdx> ps -k
          kdx> ps sh 1
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var o = Options.Parse(args);
        IEnumerable<KernelTask> selected = context.Session.Tasks.Tasks;
        if (o.Positionals.Count > 0)
        {
            var wanted = o.Positionals.Select(a => Filter(a, context)).ToList();
            selected = selected.Where(t => wanted.Any(w => w(t)));
        }

        Write(context, o, selected);
    }

    /// <inheritdoc/>
    public void RunForTasks(CommandContext context, IReadOnlyList<string> options, IReadOnlyList<KernelTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(context);
        var o = Options.Parse(options);
        if (o.Positionals.Count > 0)
        {
            throw new CommandException($"ps: unexpected argument under foreach: {o.Positionals[0]}");
        }

        Write(context, o, tasks);
    }

    private static void Write(CommandContext context, ParsedOptions o, IEnumerable<KernelTask> tasks)
    {
        if (o.Has("k") && o.Has("u"))
        {
            throw new CommandException("-k and -u cannot be used together");
        }

        var program = context.Session.Program;
        var list = context.Session.Tasks;
        var usage = new MemoryUsage(program, program.PageSize);
        var byMm = list.Tasks.Where(t => t.Mm != 0).ToLookup(t => t.Mm);
        var selected = tasks.Where(t =>
            (!o.Has("k") || t.IsKernelThread) &&
            (!o.Has("u") || !t.IsKernelThread) &&
            (!o.Has("G") || t.IsGroupLeader) &&
            (!o.Has("A") || t.IsActive));
        if (o.Has("a"))
        {
            WriteArguments(context, selected);
            return;
        }

        context.WriteLine("      PID    PPID  CPU       TASK        ST  %MEM      VSZ      RSS  COMM");
        var ci = CultureInfo.InvariantCulture;
        foreach (var t in selected)
        {
            var (vsz, rss) = usage.Of(t, byMm[t.Mm]);
            string comm = t.IsKernelThread ? $"[{t.Comm}]" : t.Comm;
            context.WriteLine(string.Create(ci,
                $"{(t.IsActive ? '>' : ' ')}{t.Pid,8} {t.ParentPid,7} {t.Cpu,3}  {t.Address,16:x}  {list.States.ShortName(t.State)} {usage.Percent(rss),5:F1} {vsz,8} {rss,8}  {comm}"));
        }

        foreach (var p in list.Problems)
        {
            context.WriteLine($"ps: {p}");
        }
    }

    // -a: each task's command line and environment, read from its user stack.
    private static void WriteArguments(CommandContext context, IEnumerable<KernelTask> tasks)
    {
        var program = context.Session.Program;
        foreach (var t in tasks)
        {
            context.WriteLine(TaskArguments.Header(t));
            try
            {
                if (ProcessArguments.Read(program, program.Kernel, t) is not { } args)
                {
                    context.WriteLine("ps: no user stack");
                }
                else
                {
                    context.WriteLine("ARG: " + string.Concat(args.Arguments.Select(a => a + " ")));
                    for (int i = 0; i < args.Environment.Count; i++)
                    {
                        context.WriteLine((i == 0 ? "ENV: " : "     ") + args.Environment[i]);
                    }

                    if (args.Environment.Count == 0)
                    {
                        context.WriteLine("ENV: ");
                    }
                }
            }
            catch (MemoryFaultException e) when (e.Space == AddressSpace.UserVirtual)
            {
                context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ps: cannot access user stack address: {e.Address:x}"));
            }
            catch (KdxException e)
            {
                context.WriteLine($"ps: cannot read the arguments of pid {t.Pid}: {e.Message}");
            }

            context.WriteLine(string.Empty);
        }
    }

    private static Func<KernelTask, bool> Filter(string arg, CommandContext context)
    {
        // 'regex' (the command line keeps single quotes, as crash's does): the commands it matches anywhere
        if (arg.Length >= 2 && arg[0] == '\'' && arg[^1] == '\'')
        {
            Regex pattern;
            try
            {
                pattern = new Regex(arg[1..^1], RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw new CommandException($"invalid regular expression {arg}: {e.Message}");
            }

            return t => pattern.IsMatch(t.Comm);
        }

        if (int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            return t => t.Pid == pid;
        }

        // A hexadecimal word is a task_struct address when some task has it; otherwise (e.g. "dd") a command.
        string hex = arg.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? arg[2..] : arg;
        if (ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong address) && context.Session.Tasks.Find(address) is not null)
        {
            return t => t.Address == address;
        }

        return t => t.Comm == arg;
    }
}
