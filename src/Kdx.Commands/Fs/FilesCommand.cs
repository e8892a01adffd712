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
    private static readonly OptionParser Parser = new("files", "c", "d");

    /// <inheritdoc/>
    public override string Name => "files";

    /// <inheritdoc/>
    public override string Summary => "open files of a task";

    /// <inheritdoc/>
    public override string Usage => "files [-c] [pid | task] ... | files -d dentry";

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
          -d dentry    one dentry: its inode, super_block, type and path (seen through the
                       mount of that super_block in init's namespace, or the pipe or socket
                       mount).

        Examples:
          kdx> files
          kdx> files -c 1
        """;

    /// <inheritdoc/>
    protected override OptionParser Options => Parser;

    /// <inheritdoc/>
    protected override bool RunWithoutTasks(CommandContext context, ParsedOptions options)
    {
        if (options.Value("d") is not { } text)
        {
            return false;
        }

        var program = context.Session.Program;
        ulong dentry = AddressArgument.Parse(text, program.Symbols);
        var memory = program.Kernel;
        var d = StructLayout.Find(program.Types, "dentry");
        var inodeLayout = StructLayout.Find(program.Types, "inode");
        context.WriteLine(CrashColumns.Center("DENTRY", 16) + " " + CrashColumns.Center("INODE", 16) + " " + CrashColumns.Center("SUPERBLK", 16) + " TYPE PATH");
        ulong inode = memory.ReadUInt64(dentry + (ulong)d.Offset("d_inode"), "dentry.d_inode");
        ulong sb = inode != 0
            ? memory.ReadUInt64(inode + (ulong)inodeLayout.Offset("i_sb"), "inode.i_sb")
            : memory.ReadUInt64(dentry + (ulong)d.Offset("d_sb"), "dentry.d_sb");
        string path = string.Empty;
        var problems = new List<string>();
        if (sb != 0 && MountOf(context, sb, problems) is ulong vfsmount)
        {
            path = new DentryPath(program).Of(dentry, vfsmount);
        }

        string type = "N/A";
        if (inode != 0)
        {
            uint mode = memory.ReadUInt32(inode + (ulong)inodeLayout.Offset("i_mode"), "inode.i_mode");
            type = new OpenFile(0, 0, dentry, inode, mode & 0xFFFF, 0, path).Type.PadRight(4);
        }

        var ci = CultureInfo.InvariantCulture;
        context.WriteLine(string.Create(ci, $"{dentry,16:x} {inode,16:x} {CrashColumns.Center(sb.ToString("x", ci), 16)} {type} {path}"));
        foreach (string p in problems)
        {
            context.WriteLine($"files: {p}");
        }

        return true;
    }

    // The vfsmount to see a super_block through: the last mount of it in init's namespace, else the pipe or
    // socket file system's internal mount.
    private static ulong? MountOf(CommandContext context, ulong superBlock, List<string> problems)
    {
        var program = context.Session.Program;
        int mnt = StructLayout.Find(program.Types, "mount").Offset("mnt");
        ulong? found = null;
        if (context.Session.Tasks.WithPid(1) is { Count: > 0 } init)
        {
            foreach (var m in Mounts.Read(program, init[0], problems).Where(m => m.SuperBlock == superBlock))
            {
                found = m.Address + (ulong)mnt;
            }
        }

        if (found is null)
        {
            int sbAt = StructLayout.Find(program.Types, "vfsmount").Offset("mnt_sb");
            foreach (string name in new[] { "pipe_mnt", "sock_mnt" })
            {
                if (found is null && program.Symbols.TryGetAddress(name, out ulong at) && program.Kernel.TryReadUInt64(at, out ulong vfs) && vfs != 0 &&
                    program.Kernel.TryReadUInt64(vfs + (ulong)sbAt, out ulong sb) && sb == superBlock)
                {
                    found = vfs;
                }
            }
        }

        return found;
    }

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
