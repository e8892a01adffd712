using System.Globalization;
using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Commands.Tasks;
using Kdx.Core.Linux;
using Kdx.Core.Linux.Fs;
using Kdx.Core.Linux.Tasks;
using Kdx.Core.Memory;

namespace Kdx.Commands.Fs;

/// <summary><c>files</c>: a task's root and working directories and its open files.</summary>
public sealed class FilesCommand : PerTaskCommand
{
    private static readonly OptionParser Parser = new("files", "c");

    /// <inheritdoc/>
    public override string Name => "files";

    /// <inheritdoc/>
    public override string Summary => "open files of a task";

    /// <inheritdoc/>
    public override string Usage => "files [-c] [pid | task] ...";

    /// <inheritdoc/>
    public override string Help => """
        For each task (by default the current one): its root and working directories, then one
        line per open file descriptor: the descriptor number, its struct file, dentry and inode,
        the file's type (REG, DIR, CHR, BLK, FIFO, LNK, SOCK) and its path, followed through the
        mounts up to the root. Pipes and other files the kernel made without a name have an
        empty path.

          pid | task   the tasks, by PID or task_struct address.
          -c           instead of the file and dentry: the inode's page cache (i_mapping) and
                       how many pages it holds (NRPAGES).

        Examples:
          kdx> files
          kdx> files -c 1
        """;

    /// <inheritdoc/>
    protected override OptionParser Options => Parser;

    /// <inheritdoc/>
    protected override void Run(CommandContext context, ParsedOptions options, IReadOnlyList<KernelTask> tasks)
    {
        var program = context.Session.Program;
        bool cache = options.Has("c");
        int nrpages = StructLayout.Find(program.Types, "address_space").Offset("nrpages");
        var ci = CultureInfo.InvariantCulture;
        foreach (var task in tasks)
        {
            context.WriteLine(TaskArguments.Header(task));
            var files = TaskFiles.Read(program, task);
            if (files.HasFs)
            {
                context.WriteLine($"ROOT: {files.Root}    CWD: {files.Cwd}");
            }

            if (files.Files.Count == 0)
            {
                context.WriteLine("No open files");
            }
            else
            {
                context.WriteLine(cache
                    ? " FD " + CrashColumns.Center("INODE", 16) + " " + CrashColumns.Center("I_MAPPING", 16) + " NRPAGES TYPE PATH"
                    : " FD " + CrashColumns.Center("FILE", 16) + " " + CrashColumns.Center("DENTRY", 16) + " " + CrashColumns.Center("INODE", 16) + " TYPE PATH");
                foreach (var f in files.Files)
                {
                    string type = f.Type.PadRight(4);
                    if (cache)
                    {
                        ulong pages = f.Mapping != 0 && program.Kernel.TryReadUInt64(f.Mapping + (ulong)nrpages, out ulong n) ? n : 0;
                        context.WriteLine(string.Create(ci, $"{f.Fd,3} {f.Inode,16:x} {f.Mapping,16:x} {pages,7} {type} {f.Path}"));
                    }
                    else
                    {
                        context.WriteLine(string.Create(ci, $"{f.Fd,3} {f.File,16:x} {f.Dentry,16:x} {f.Inode,16:x} {type} {f.Path}"));
                    }
                }
            }

            foreach (string p in files.Problems)
            {
                context.WriteLine($"files: {p}");
            }

            context.WriteLine(string.Empty);
        }
    }
}
