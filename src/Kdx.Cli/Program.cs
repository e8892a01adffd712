namespace Kdx.Cli;

/// <summary>The kdx program.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        using var binaryOut = Console.OpenStandardOutput();
        var stdout = new StreamWriter(binaryOut) { AutoFlush = false };
        using var interrupt = new CancellationTokenSource();
        // Ctrl-C during kdx convert: stop cleanly so the temporary output is removed.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        bool converting = args.Length > 0 && args[0] == "convert";
        if (converting)
        {
            Console.CancelKeyPress += onCancel;
        }

        try
        {
            using TextReader input = Console.IsInputRedirected
                ? new FlushingLineReader(Console.OpenStandardInput(), stdout.Flush)
                : Console.In;
            return KdxMain.Run(args, input, stdout, Console.Error, !Console.IsInputRedirected,
                !Console.IsErrorRedirected, binaryOut, interrupt.Token);
        }
        finally
        {
            stdout.Flush();
            if (converting)
            {
                Console.CancelKeyPress -= onCancel;
            }
        }
    }
}
