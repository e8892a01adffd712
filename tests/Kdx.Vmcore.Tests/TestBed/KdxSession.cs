using Kdx.Commands.Infrastructure;
using Kdx.Core.Dumps;
using Kdx.Core.Model;

namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>Where a test's Kdx session takes its symbols from.</summary>
public enum SymbolSource
{
    /// <summary>The run's debuginfo vmlinux (what crash was given).</summary>
    Vmlinux,

    /// <summary>The dump alone: the symbols VMCOREINFO lists.</summary>
    DumpOnly,
}

/// <summary>A Kdx session on one dump of the test bed, running commands as the kdx prompt would.</summary>
public sealed class KdxSession : IDisposable
{
    private KdxSession(KernelProgram program)
    {
        Program = program;
        Session = new Session(program, CommandRegistry.CreateDefault());
    }

    /// <summary>The program under analysis.</summary>
    public KernelProgram Program { get; }

    /// <summary>The command session.</summary>
    public Session Session { get; }

    /// <summary>Opens <paramref name="format"/> of <paramref name="run"/>.</summary>
    public static KdxSession Open(TestBedRun run, string format, SymbolSource symbols = SymbolSource.Vmlinux, bool zeroExcluded = false)
    {
        var files = run.Formats[format].Files;
        var options = DumpOpenOptions.Default with { ZeroExcluded = zeroExcluded };
        return new KdxSession(KernelProgram.Open(files, symbols == SymbolSource.Vmlinux ? run.Vmlinux : null, options));
    }

    /// <summary>Runs one command line and returns everything it printed (errors included), lines ending in "\n".</summary>
    public string Run(string commandLine)
    {
        using var output = new StringWriter { NewLine = "\n" };
        CommandRunner.Run(Session, commandLine, output);
        return output.ToString();
    }

    /// <inheritdoc/>
    public void Dispose() => Program.Dispose();
}
