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

    /// <summary>The default output radix (crash's <c>set radix</c>): 16 or 10.</summary>
    public int OutputRadix { get; set; } = 16;
}
