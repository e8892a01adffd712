namespace Kdx.Core.Dumps;

/// <summary>
/// A dump file (or a vmlinux) whose structure is wrong: bad magic, a truncated header, an absurd
/// count. The message names the file, the offset and what was being parsed.
/// </summary>
public sealed class DumpFormatException : KdxException
{
    /// <summary>Creates an error about <paramref name="file"/> at <paramref name="offset"/>.</summary>
    public DumpFormatException(string file, long offset, string problem)
        : base($"{file}: {problem} (at offset {offset})")
    {
        File = file;
        Offset = offset;
        Problem = problem;
    }

    /// <summary>Creates an error about <paramref name="file"/> that is not tied to an offset.</summary>
    public DumpFormatException(string file, string problem)
        : base($"{file}: {problem}")
    {
        File = file;
        Offset = -1;
        Problem = problem;
    }

    /// <summary>Creates an error with no file (for analyzers and serialisation).</summary>
    public DumpFormatException()
        : this("(unknown file)", "invalid dump")
    {
    }

    /// <summary>Creates an error with a message only.</summary>
    public DumpFormatException(string message)
        : this("(unknown file)", message)
    {
    }

    /// <summary>Creates an error with a message and a cause.</summary>
    public DumpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        File = "(unknown file)";
        Offset = -1;
        Problem = message;
    }

    /// <summary>The file the error is about.</summary>
    public string File { get; }

    /// <summary>The file offset of the problem, or -1.</summary>
    public long Offset { get; }

    /// <summary>The problem without the file name and offset.</summary>
    public string Problem { get; }

    /// <summary>The standard "file truncated" error: the file ends at <paramref name="offset"/> while reading <paramref name="what"/>.</summary>
    public static DumpFormatException Truncated(string file, long offset, string what) =>
        new(file, $"file truncated at offset {offset} while reading {what}");
}
