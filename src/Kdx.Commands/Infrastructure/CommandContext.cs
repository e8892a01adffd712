namespace Kdx.Commands.Infrastructure;

/// <summary>What a running command sees: the session, where to write, and a cancellation token.</summary>
public sealed class CommandContext
{
    /// <summary>Creates a context.</summary>
    public CommandContext(Session session, TextWriter output, CancellationToken cancellation = default)
    {
        Session = session;
        Out = output;
        Cancellation = cancellation;
    }

    /// <summary>The session: the program under analysis and the user's settings.</summary>
    public Session Session { get; }

    /// <summary>Where the command writes its answer.</summary>
    public TextWriter Out { get; }

    /// <summary>Cancelled when the user presses Ctrl-C; commands check it between output lines.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Writes one line of output, first checking for cancellation.</summary>
    public void WriteLine(string line)
    {
        Cancellation.ThrowIfCancellationRequested();
        Out.WriteLine(line);
    }
}
