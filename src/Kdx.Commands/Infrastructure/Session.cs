using Kdx.Core.Linux.Tasks;
using Kdx.Core.Model;

namespace Kdx.Commands.Infrastructure;

/// <summary>An analysis session: the program under analysis plus the user's settings.</summary>
public sealed class Session
{
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

    private TaskList? _tasks;
}
