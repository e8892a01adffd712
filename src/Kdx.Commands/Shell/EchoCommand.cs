using Kdx.Commands.Infrastructure;

namespace Kdx.Commands.Shell;

/// <summary><c>echo</c>: prints its arguments (handy in scripts to mark where a command's output ends).</summary>
public sealed class EchoCommand : Command
{
    /// <inheritdoc/>
    public override string Name => "echo";

    /// <inheritdoc/>
    public override string Summary => "print the arguments";

    /// <inheritdoc/>
    public override string Usage => "echo [word ...]";

    /// <inheritdoc/>
    public override string Help => """
        Prints the words given, separated by one space. Quotes group words.

        Example:
          kdx> echo "--- after rd ---"
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args) =>
        context.WriteLine(string.Join(' ', args));
}
