using System.Reflection;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Dumps;
using Kdx.Core.Model;

namespace Kdx.Cli;

/// <summary>The program body, separate from <see cref="Program"/> so tests can drive it with their own streams.</summary>
public static class KdxMain
{
    private const string UsageText = """
        usage: kdx [-s] [-i FILE] [-c CMD]... [--zero-excluded] [VMLINUX | System.map] VMCORE [VMCORE2 ...]
               kdx convert --compress zlib|lzo|snappy|zstd|none [-d LEVEL] VMCORE [VMCORE2 ...] OUTPUT

        Files are recognised by their content, in any order. Several VMCORE files form a
        makedumpfile --split set.
          -s               do not print the banner
          -i FILE          run the commands in FILE first
          -c CMD           run CMD (repeatable), then exit
          --zero-excluded  read pages makedumpfile excluded as zeros instead of failing
        Without -c, commands are read from standard input when it is not a terminal,
        otherwise from the kdx> prompt.
        """;

    /// <summary>The version printed by <c>--version</c> and the banner.</summary>
    public static string Version =>
        typeof(KdxMain).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    /// <summary>Runs kdx with <paramref name="args"/> and returns the exit status.</summary>
    public static int Run(string[] args, TextReader input, TextWriter output, TextWriter error, bool inputIsTerminal = false)
    {
        ArgumentNullException.ThrowIfNull(args);
        CliOptions options;
        try
        {
            options = CliOptions.Parse(args);
        }
        catch (UsageException e)
        {
            error.WriteLine($"kdx: {e.Message}");
            error.WriteLine(UsageText);
            return 2;
        }

        if (options.ShowVersion)
        {
            output.WriteLine($"kdx {Version}");
            return 0;
        }

        if (options.ShowHelp)
        {
            output.WriteLine(UsageText);
            return 0;
        }

        KernelProgram program;
        try
        {
            program = Open(options);
        }
        catch (UsageException e)
        {
            error.WriteLine($"kdx: {e.Message}");
            error.WriteLine(UsageText);
            return 2;
        }
        catch (KdxException e)
        {
            error.WriteLine($"kdx: {e.Message}");
            return 1;
        }

        using (program)
        {
            var session = new Session(program, CommandRegistry.CreateDefault());
            if (!options.Silent)
            {
                Banner.Write(output, program);
            }

            if (options.InputFile is not null)
            {
                string[] lines;
                try
                {
                    lines = File.ReadAllLines(options.InputFile);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    error.WriteLine($"kdx: {options.InputFile}: {e.Message}");
                    return 1;
                }

                if (!RunLines(session, lines, output))
                {
                    return 0;
                }
            }

            if (options.Commands.Count > 0)
            {
                RunLines(session, options.Commands, output);
                return 0;
            }

            var repl = new Repl(session, input, output, inputIsTerminal);
            repl.Run();
            return 0;
        }
    }

    /// <summary>Runs command lines until one of them quits; returns false when the session should end.</summary>
    internal static bool RunLines(Session session, IEnumerable<string> lines, TextWriter output)
    {
        foreach (var line in lines)
        {
            if (Repl.IsQuit(line))
            {
                return false;
            }

            CommandRunner.Run(session, line, output);
        }

        return true;
    }

    private static KernelProgram Open(CliOptions options)
    {
        if (options.Files.Count == 0)
        {
            throw new UsageException("no dump file given");
        }

        var dumps = new List<string>();
        string? symbols = null;
        foreach (var path in options.Files)
        {
            var kind = DumpFiles.Identify(path);
            switch (kind)
            {
                case FileKind.ElfCore:
                case FileKind.Kdump:
                case FileKind.Flattened:
                    dumps.Add(path);
                    break;
                case FileKind.Vmlinux:
                case FileKind.SystemMap:
                    if (symbols is not null)
                    {
                        throw new UsageException($"{path}: a second kernel image or System.map (already have {symbols})");
                    }

                    symbols = path;
                    break;
                case FileKind.KernelModule:
                    throw new KdxException($"{path}: is a kernel module; load its symbols with mod -s after opening the dump");
                default:
                    throw new KdxException(new FileInfo(path).Length == 0
                        ? $"{path}: the file is empty"
                        : $"{path}: not a vmcore, vmlinux or System.map");
            }
        }

        if (dumps.Count == 0)
        {
            throw new UsageException("no dump file given (only a kernel image)");
        }

        return KernelProgram.Open(dumps, symbols, new DumpOpenOptions { ZeroExcluded = options.ZeroExcluded });
    }
}
