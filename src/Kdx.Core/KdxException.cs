namespace Kdx.Core;

/// <summary>
/// The base of every error Kdx reports to a user. Its message is one complete line that says
/// what was being done and why it failed; callers print it as is, never a stack trace.
/// </summary>
public class KdxException : Exception
{
    /// <summary>Creates an error with an empty message.</summary>
    public KdxException()
    {
    }

    /// <summary>Creates an error with a one-line message.</summary>
    public KdxException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an error with a one-line message and the error that caused it.</summary>
    public KdxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
