namespace Kdx.Cli;

/// <summary>The kdx program.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
        try
        {
            return KdxMain.Run(args, Console.In, stdout, Console.Error, !Console.IsInputRedirected);
        }
        finally
        {
            stdout.Flush();
        }
    }
}
