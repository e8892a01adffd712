using Kdx.Core.Linux;
using Kdx.Core.Linux.Tasks;
using Kdx.Core.Model;

namespace Kdx.Commands.Infrastructure;

/// <summary>An analysis session: the program under analysis plus the user's settings.</summary>
public sealed class Session
{
    private TaskList? _tasks;
    private KernelTask? _current;
    private bool _panicKnown;
    private KernelTask? _panic;

    /// <summary>Creates a session.</summary>
    public Session(KernelProgram program, CommandRegistry commands)
    {
        Program = program;
        Commands = commands;
    }

    /// <summary>The crashed kernel.</summary>
    public KernelProgram Program { get; }

    /// <summary>Every command of the session.</summary>
    public CommandRegistry Commands { get; }

    /// <summary>The output radix (crash's <c>set radix</c>): 10 or 16; 10 by default, as in crash ("schedule+219").</summary>
    public int OutputRadix { get; set; } = 10;

    /// <summary>The crashed kernel's tasks, read on first use and kept for the session (the dump does not change).</summary>
    public TaskList Tasks => _tasks ??= TaskList.Read(Program);

    /// <summary>
    /// The task the CPU that panicked was running (panic_cpu, else the CPU the dump names), or null when no CPU
    /// is known to have panicked.
    /// </summary>
    public KernelTask? PanicTask
    {
        get
        {
            if (!_panicKnown)
            {
                int? cpu = KernelInfo.TryGetPanicCpu(Program) ?? Program.Dump.PanicCpu;
                _panic = cpu is int c ? Tasks.ActiveOn(c) : null;
                _panicKnown = true;
            }

            return _panic;
        }
    }

    /// <summary>
    /// The session's current task (crash's context): what per-task commands show when no task is named. It starts
    /// as the panic task, else the task CPU 0 was running, else the first task; <c>set</c> changes it.
    /// </summary>
    public KernelTask? CurrentTask
    {
        get => _current ??= PanicTask ?? Tasks.ActiveOn(0) ?? (Tasks.Tasks.Count > 0 ? Tasks.Tasks[0] : null);
        set => _current = value;
    }
}
