namespace Kdx.Cli;

/// <summary>The kdx program.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args) => KdxMain.Run(args, Console.In, Console.Out, Console.Error);
}
