using Kdx.Core;

namespace Kdx.Commands.Infrastructure;

/// <summary>A usage error or a failed command, reported to the user as one line.</summary>
public sealed class CommandException : KdxException
{
    /// <summary>Creates an error.</summary>
    public CommandException()
    {
    }

    /// <summary>Creates an error with a message.</summary>
    public CommandException(string message)
        : base(message)
    {
    }

    /// <summary>
    /// crash's synopsis of the command, printed after the message as crash's usage block ("Usage:", the
    /// synopsis indented two spaces, "Enter "help NAME" for details."), or null for the message alone.
    /// </summary>
    public string? Synopsis { get; init; }

    /// <summary>Creates an error with a message and a cause.</summary>
    public CommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
