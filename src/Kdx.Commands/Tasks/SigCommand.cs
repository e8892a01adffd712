using System.Globalization;
using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux.Tasks;

namespace Kdx.Commands.Tasks;

/// <summary><c>sig</c>: a task's signal handlers, blocked and pending signals.</summary>
public sealed class SigCommand : PerTaskCommand
{
    private static readonly OptionParser Parser = new("sig", "lg");

    // include/uapi/asm-generic/signal.h (x86 uses the same numbers); aliases after a slash.
    private static readonly string[] Names =
    [
        "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT/SIGIOT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD/SIGCLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO/SIGPOLL", "SIGPWR",
        "SIGSYS/SIGUNUSED",
    ];

    // arch/x86/include/uapi/asm/signal.h and include/uapi/asm-generic/signal-defs.h, in the order crash lists them.
    private static readonly (ulong Bit, string Name)[] ActionFlags =
    [
        (0x1, "SA_NOCLDSTOP"), (0x04000000, "SA_RESTORER"), (0x2, "SA_NOCLDWAIT"), (0x4, "SA_SIGINFO"),
        (0x08000000, "SA_ONSTACK"), (0x10000000, "SA_RESTART"), (0x40000000, "SA_NODEFER"), (0x80000000, "SA_RESETHAND"),
    ];

    /// <inheritdoc/>
    public override string Name => "sig";

    /// <inheritdoc/>
    public override string Summary => "signal handlers and pending signals of a task";

    /// <inheritdoc/>
    public override string Usage => "sig [-l] [-g] [pid | task] ...";

    /// <inheritdoc/>
    public override string Help => """
        For each task (by default the current one): its thread group's signal_struct and thread
        count, how the group handles each signal (the k_sigaction's address, the handler:
        SIG_DFL, SIG_IGN or a user address, the signals blocked while it runs, and its SA_
        flags), whether a signal is pending for the task, the signals it blocks, and the
        pending signals with their queued entries: its own (PRIVATE_PENDING) and its group's
        (SHARED_PENDING).

          pid | task   the tasks, by PID or task_struct address.
          -g           the whole thread group: the group's handlers and shared pending
                       signals, then each thread's own blocked and pending signals.
          -l           the signal numbers and names.

        Examples:
          kdx> sig
          kdx> sig -g 1
          kdx> sig -l
        """;

    /// <inheritdoc/>
    protected override OptionParser Options => Parser;

    /// <summary>The name crash gives signal <paramref name="signal"/> (1 to 64).</summary>
    public static string SignalName(int signal) => signal switch
    {
        >= 1 and <= 31 => Names[signal - 1],
        32 => "SIGRTMIN",
        64 => "SIGRTMAX",
        > 32 and <= 48 => string.Create(CultureInfo.InvariantCulture, $"SIGRTMIN+{signal - 32}"),
        > 48 and < 64 => string.Create(CultureInfo.InvariantCulture, $"SIGRTMAX-{64 - signal}"),
        _ => "?",
    };

    /// <inheritdoc/>
    protected override bool RunWithoutTasks(CommandContext context, ParsedOptions options)
    {
        if (!options.Has("l"))
        {
            return false;
        }

        for (int i = 1; i <= 64; i++)
        {
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(i < 10 ? " " : string.Empty)}[{i}] {SignalName(i)}"));
        }

        return true;
    }

    /// <inheritdoc/>
    protected override void Run(CommandContext context, ParsedOptions options, IReadOnlyList<KernelTask> tasks)
    {
        if (options.Has("l"))
        {
            throw new CommandException("sig: -l is not applicable under foreach");
        }

        var program = context.Session.Program;
        var all = context.Session.Tasks.Tasks;
        foreach (var task in tasks)
        {
            if (!options.Has("g"))
            {
                context.WriteLine(TaskArguments.Header(task));
                var s = TaskSignals.Read(program, task);
                WriteGroup(context, s);
                WriteTask(context, s, string.Empty);
                WriteShared(context, s);
                WriteProblems(context, s);
                context.WriteLine(string.Empty);
                continue;
            }

            // -g: the group once, from its leader.
            var leader = task.IsGroupLeader ? task : all.FirstOrDefault(t => t.Pid == task.Tgid);
            if (leader is null || (leader != task && tasks.Contains(leader)))
            {
                continue;
            }

            var ls = TaskSignals.Read(program, leader);
            context.WriteLine(TaskArguments.Header(leader));
            WriteGroup(context, ls);
            WriteShared(context, ls);
            foreach (var member in all.Where(t => t.Tgid == leader.Tgid && (t.Pid != 0 || t == leader)).OrderBy(t => t != leader))
            {
                context.WriteLine(string.Empty);
                context.WriteLine("  " + TaskArguments.Header(member));
                var ms = member == leader ? ls : TaskSignals.Read(program, member);
                WriteTask(context, ms, "  ");
                WriteProblems(context, ms);
            }

            context.WriteLine(string.Empty);
        }
    }

    private static void WriteGroup(CommandContext context, TaskSignals s)
    {
        var ci = CultureInfo.InvariantCulture;
        context.WriteLine(string.Create(ci, $"SIGNAL_STRUCT: {s.SignalStruct:x}  NR_THREADS: {s.Threads}"));
        context.WriteLine(" SIG " + CrashColumns.Center("SIGACTION", 16) + " " + "HANDLER".PadLeft(10) + " " + CrashColumns.Center("MASK", 16) + " " + "FLAGS".PadRight(16));
        foreach (var a in s.Actions)
        {
            string handler = a.Handler switch
            {
                0 => "SIG_DFL",
                1 => "SIG_IGN",
                ulong.MaxValue => "SIG_ERR",
                _ => a.Handler.ToString("x", ci),
            };
            var names = ActionFlags.Where(f => (a.Flags & f.Bit) != 0).Select(f => f.Name).ToList();
            string flags = names.Count == 0 ? string.Empty : "(" + string.Join('|', names) + ")";
            context.WriteLine(string.Create(ci, $"{(a.Signal < 10 ? " " : string.Empty)}[{a.Signal}] {a.Address:x} {handler,10} {a.Mask:x16} {a.Flags:x} {flags}"));
        }
    }

    private static void WriteTask(CommandContext context, TaskSignals s, string indent)
    {
        var ci = CultureInfo.InvariantCulture;
        context.WriteLine($"{indent}SIGPENDING: {(s.SigPending ? "yes" : "no")}");
        context.WriteLine(string.Create(ci, $"{indent}   BLOCKED: {s.Blocked:x16}"));
        context.WriteLine($"{indent}PRIVATE_PENDING");
        context.WriteLine(string.Create(ci, $"{indent}    SIGNAL: {s.Pending:x16}"));
        WriteQueue(context, s.PendingQueue, indent);
    }

    private static void WriteShared(CommandContext context, TaskSignals s)
    {
        context.WriteLine("SHARED_PENDING");
        context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    SIGNAL: {s.SharedPending:x16}"));
        WriteQueue(context, s.SharedQueue, string.Empty);
    }

    private static void WriteQueue(CommandContext context, IReadOnlyList<QueuedSignal> queue, string indent)
    {
        if (queue.Count == 0)
        {
            context.WriteLine($"{indent}  SIGQUEUE: (empty)");
            return;
        }

        context.WriteLine($"{indent}  SIGQUEUE:  SIG  {CrashColumns.Center("SIGINFO", 16)}");
        foreach (var q in queue)
        {
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"             {q.Signal,3}  {q.Info:x}"));
        }
    }

    private static void WriteProblems(CommandContext context, TaskSignals s)
    {
        foreach (string p in s.Problems)
        {
            context.WriteLine($"sig: {p}");
        }
    }
}
