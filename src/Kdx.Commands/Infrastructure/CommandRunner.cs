using Kdx.Core;

namespace Kdx.Commands.Infrastructure;

/// <summary>
/// Runs one command line: finds the command, checks it can run, runs it, and turns any error into
/// one line of output (crash's <c>cmd: message</c>). Nothing a command does can end the session.
/// </summary>
public static class CommandRunner
{
    /// <summary>
    /// Runs <paramref name="line"/> in <paramref name="session"/>, writing to <paramref name="output"/>.
    /// Returns false when the command failed (its error has been written).
    /// </summary>
    public static bool Run(Session session, string line, TextWriter output, CancellationToken cancellation = default)
    {
        var words = CommandLine.Split(line);
        if (words.Count == 0 || words[0].StartsWith('#'))
        {
            return true;
        }

        string name = words[0];
        if (!session.Commands.TryGet(name, out var command))
        {
            // crash runs struct, union, whatis or p for a type or symbol name typed as a command.
            if (Types.ImplicitCommand.Rewrite(session, words) is not { } implied || !session.Commands.TryGet(implied[0], out command))
            {
                output.WriteLine($"kdx: command not found: {name}");
                return false;
            }

            words = [.. implied];
        }

        string? unavailable = command.Unavailable(session);
        if (unavailable is not null)
        {
            output.WriteLine($"{command.Name}: {unavailable}");
            return false;
        }

        try
        {
            command.Execute(new CommandContext(session, output, cancellation), words.Skip(1).ToList());
            return true;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            output.WriteLine($"{command.Name}: interrupted");
            return false;
        }
        catch (KdxException e)
        {
            string message = e.Message.StartsWith(command.Name + ":", StringComparison.Ordinal) ? e.Message : $"{command.Name}: {e.Message}";
            output.WriteLine(message);
            if (e is CommandException { Synopsis: { } synopsis })
            {
                output.WriteLine("Usage:");
                output.WriteLine("  " + synopsis);
                output.WriteLine($"Enter \"help {command.Name}\" for details.");
            }

            return false;
        }
#pragma warning disable CA1031 // the session must survive a bug in one command
        catch (Exception e)
#pragma warning restore CA1031
        {
            output.WriteLine($"{command.Name}: internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("KDX_DEBUG") == "1")
            {
                output.WriteLine(e.ToString());
            }

            return false;
        }
    }
}
