namespace Kdx.Commands.Infrastructure;

/// <summary>
/// A kdx command: a small class that names itself, carries its own help text, parses its
/// crash-style arguments and writes its answer to <see cref="CommandContext.Out"/>.
/// </summary>
public abstract class Command
{
    /// <summary>The name typed at the prompt, e.g. "rd".</summary>
    public abstract string Name { get; }

    /// <summary>Other names for the command.</summary>
    public virtual IReadOnlyList<string> Aliases => [];

    /// <summary>One line for the <c>help</c> list.</summary>
    public abstract string Summary { get; }

    /// <summary>The synopsis, e.g. "rd [-8|-16|-32|-64] [-a] [-p] address [count]".</summary>
    public abstract string Usage { get; }

    /// <summary>The full help: what it does, every option, and an example. Written in our own words.</summary>
    public abstract string Help { get; }

    /// <summary>
    /// Why the command cannot run on this session (e.g. "needs kernel symbols"), or null when it can.
    /// </summary>
    public virtual string? Unavailable(Session session) => null;

    /// <summary>Runs the command. Throws <see cref="Kdx.Core.KdxException"/> for errors the user should see.</summary>
    public abstract void Execute(CommandContext context, IReadOnlyList<string> args);
}
