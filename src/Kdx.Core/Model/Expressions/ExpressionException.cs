namespace Kdx.Core.Model.Expressions;

/// <summary>A C expression that cannot be parsed or evaluated; the message points at the place.</summary>
public sealed class ExpressionException : KdxException
{
    /// <summary>Creates an error about <paramref name="expression"/> at <paramref name="position"/>.</summary>
    public ExpressionException(string problem, string expression, int position)
        : base(position >= 0 && position < expression.Length
            ? $"{problem} at '{expression[position..]}' in: {expression}"
            : $"{problem} in: {expression}")
    {
        Problem = problem;
    }

    /// <summary>Creates an error with a message only.</summary>
    public ExpressionException(string message)
        : base(message)
    {
        Problem = message;
    }

    /// <summary>Creates an error with no message (for analyzers).</summary>
    public ExpressionException()
        : this("bad expression")
    {
    }

    /// <summary>Creates an error with a message and a cause.</summary>
    public ExpressionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problem = message;
    }

    /// <summary>The problem without the expression text.</summary>
    public string Problem { get; }
}
