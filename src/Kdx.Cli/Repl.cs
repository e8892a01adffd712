using Kdx.Commands.Infrastructure;

namespace Kdx.Cli;

/// <summary>
/// The read-eval-print loop: the kdx> prompt on a terminal, or batch commands from standard input
/// (whose reader flushes the output before it waits for input; see <see cref="FlushingLineReader"/>).
/// </summary>
internal sealed class Repl(Session session, TextReader input, TextWriter output, bool interactive)
{
    public static bool IsQuit(string line)
    {
        var t = line.Trim();
        return t is "q" or "quit" or "exit";
    }

    public void Run()
    {
        while (true)
        {
            if (interactive)
            {
                output.Write("kdx> ");
                output.Flush();
            }

            string? line = input.ReadLine();
            if (line is null || IsQuit(line))
            {
                return;
            }

            CommandRunner.Run(session, line, output);
            if (interactive)
            {
                output.Flush();
            }
        }
    }
}
