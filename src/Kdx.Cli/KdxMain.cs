namespace Kdx.Cli;

/// <summary>The program body, separate from <see cref="Program"/> so tests can drive it with their own streams.</summary>
public static class KdxMain
{
    /// <summary>Runs kdx with <paramref name="args"/> and returns the exit status.</summary>
    public static int Run(string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        error.WriteLine("kdx: not implemented yet");
        return input is null || output is null ? 2 : 1;
    }
}
