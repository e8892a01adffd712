using Kdx.Core.Linux.Tasks;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Fs;

/// <summary>One open file descriptor of a task.</summary>
/// <param name="Fd">The descriptor number.</param>
/// <param name="File">The struct file.</param>
/// <param name="Dentry">file->f_path.dentry (0 when unknown).</param>
/// <param name="Inode">dentry->d_inode (0 when unknown).</param>
/// <param name="Mode">inode->i_mode.</param>
/// <param name="Mapping">inode->i_mapping.</param>
/// <param name="Path">The path, as <see cref="DentryPath"/> spells it (empty for pipes and other nameless files).</param>
public sealed record OpenFile(int Fd, ulong File, ulong Dentry, ulong Inode, uint Mode, ulong Mapping, string Path)
{
    /// <summary>
    /// crash's four-letter type from the mode's S_IFMT bits (include/uapi/linux/stat.h): REG, DIR, CHR, BLK,
    /// FIFO, LNK, SOCK, or UNKN; "?" when there is no inode.
    /// </summary>
    public string Type => Inode == 0 ? "?" : (Mode & 0xF000) switch
    {
        0x8000 => "REG",
        0x4000 => "DIR",
        0x2000 => "CHR",
        0x6000 => "BLK",
        0x1000 => "FIFO",
        0xA000 => "LNK",
        0xC000 => "SOCK",
        _ => "UNKN",
    };
}

/// <summary>
/// A task's file system view and open files: task->fs (root and working directory) and task->files
/// (the descriptor table files->fdt: fd[] and the open_fds bitmap, max_fds entries; v2.6.14 commit
/// badf16621c1f "files: break up files struct").
/// </summary>
public sealed class TaskFiles
{
    private TaskFiles(string root, string cwd, ulong rootDentry, ulong cwdDentry, bool hasFs, bool hasTable, List<OpenFile> files, List<string> problems)
    {
        Root = root;
        Cwd = cwd;
        RootDentry = rootDentry;
        CwdDentry = cwdDentry;
        HasFs = hasFs;
        HasTable = hasTable;
        Files = files;
        Problems = problems;
    }

    /// <summary>The root directory's path.</summary>
    public string Root { get; }

    /// <summary>The working directory's path.</summary>
    public string Cwd { get; }

    /// <summary>fs->root.dentry (0 when none).</summary>
    public ulong RootDentry { get; }

    /// <summary>fs->pwd.dentry (0 when none).</summary>
    public ulong CwdDentry { get; }

    /// <summary>Whether the task has a struct fs_struct (an exiting task may not).</summary>
    public bool HasFs { get; }

    /// <summary>Whether the task has a descriptor table.</summary>
    public bool HasTable { get; }

    /// <summary>The open descriptors, by number.</summary>
    public IReadOnlyList<OpenFile> Files { get; }

    /// <summary>What could not be read (the rest is still listed).</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Reads the files of <paramref name="task"/>.</summary>
    public static TaskFiles Read(IProgram program, KernelTask task, WalkLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(task);
        limits ??= WalkLimits.Default;
        var memory = program.Memory;
        var problems = new List<string>();
        var paths = new DentryPath(program);
        var taskLayout = StructLayout.Find(program.Types, "task_struct");
        var pathLayout = StructLayout.Find(program.Types, "path");
        int pathMnt = pathLayout.Offset("mnt");
        int pathDentry = pathLayout.Offset("dentry");

        string root = string.Empty, cwd = string.Empty;
        ulong rootDentry = 0, cwdDentry = 0;
        bool hasFs = false;
        if (memory.TryReadUInt64(task.Address + (ulong)taskLayout.Offset("fs"), out ulong fs) && fs != 0)
        {
            hasFs = true;
            var fsLayout = StructLayout.Find(program.Types, "fs_struct");
            (root, rootDentry) = PathOf(fs + (ulong)fsLayout.Offset("root"));
            (cwd, cwdDentry) = PathOf(fs + (ulong)fsLayout.Offset("pwd"));
        }

        (string, ulong) PathOf(ulong path)
        {
            if (!memory.TryReadUInt64(path + (ulong)pathMnt, out ulong mnt) || !memory.TryReadUInt64(path + (ulong)pathDentry, out ulong dentry))
            {
                problems.Add($"struct path at {path:x}: unreadable");
                return (string.Empty, 0);
            }

            if (dentry == 0)
            {
                return (string.Empty, 0);
            }

            if (!paths.TryOf(dentry, mnt, out string p, out ulong bad))
            {
                problems.Add($"the path of dentry {dentry:x} is incomplete: {bad:x} cannot be read");
            }

            return (p, dentry);
        }

        var files = new List<OpenFile>();
        bool hasTable = false;
        if (memory.TryReadUInt64(task.Address + (ulong)taskLayout.Offset("files"), out ulong filesStruct) && filesStruct != 0)
        {
            try
            {
                hasTable = ReadTable(program, filesStruct, paths, files, problems, limits);
            }
            catch (KdxException e)
            {
                problems.Add($"files_struct at {filesStruct:x}: {e.Message}");
            }
        }

        return new TaskFiles(root, cwd, rootDentry, cwdDentry, hasFs, hasTable, files, problems);
    }

    private static bool ReadTable(IProgram program, ulong filesStruct, DentryPath paths, List<OpenFile> files, List<string> problems, WalkLimits limits)
    {
        var memory = program.Memory;
        var filesLayout = StructLayout.Find(program.Types, "files_struct");
        var fdt = StructLayout.Find(program.Types, "fdtable");
        ulong table = memory.ReadUInt64(filesStruct + (ulong)filesLayout.Offset("fdt"), "files_struct.fdt");
        if (table == 0)
        {
            return false;
        }

        uint maxFds = memory.ReadUInt32(table + (ulong)fdt.Offset("max_fds"), "fdtable.max_fds");
        ulong fdArray = memory.ReadUInt64(table + (ulong)fdt.Offset("fd"), "fdtable.fd");
        ulong openFds = memory.ReadUInt64(table + (ulong)fdt.Offset("open_fds"), "fdtable.open_fds");
        if (maxFds == 0 || fdArray == 0 || openFds == 0)
        {
            return false;
        }

        if (maxFds > (uint)Math.Min(limits.MaxEntries, 1 << 24))
        {
            problems.Add($"fdtable at {table:x}: max_fds {maxFds} is implausible; only the first 1024 descriptors are read");
            maxFds = 1024;
        }

        var file = StructLayout.Find(program.Types, "file");
        var dentryLayout = StructLayout.Find(program.Types, "dentry");
        var inodeLayout = StructLayout.Find(program.Types, "inode");

        // file->f_path (v3.9+: f_dentry/f_vfsmnt became macros over it in 2.6.20, commit 0f7fc9e4d03987fe "[PATCH] VFS:
        // change struct file to use struct path").
        int fMnt = file.Offset("f_path.mnt");
        int fDentry = file.Offset("f_path.dentry");
        int dInode = dentryLayout.Offset("d_inode");
        int iMode = inodeLayout.Offset("i_mode");
        int iMapping = inodeLayout.Offset("i_mapping");
        for (uint word = 0; word * 64 < maxFds; word++)
        {
            if (!memory.TryReadUInt64(openFds + (word * 8), out ulong bits))
            {
                problems.Add($"fdtable.open_fds at {openFds + (word * 8):x}: unreadable; descriptors {word * 64} and up are not listed");
                break;
            }

            for (int bit = 0; bits != 0 && bit < 64; bit++, bits >>= 1)
            {
                int fd = (int)(word * 64) + bit;
                if ((bits & 1) == 0 || fd >= maxFds)
                {
                    continue;
                }

                if (!memory.TryReadUInt64(fdArray + ((ulong)fd * 8), out ulong f))
                {
                    problems.Add($"fd {fd}: the file pointer at {fdArray + ((ulong)fd * 8):x} is unreadable");
                    continue;
                }

                if (f == 0)
                {
                    continue;
                }

                ulong dentry = 0, inode = 0, mapping = 0, mnt = 0;
                uint mode = 0;
                if (!memory.TryReadUInt64(f + (ulong)fDentry, out dentry) || !memory.TryReadUInt64(f + (ulong)fMnt, out mnt))
                {
                    problems.Add($"fd {fd}: struct file at {f:x} is unreadable");
                }
                else if (dentry != 0 && memory.TryReadUInt64(dentry + (ulong)dInode, out inode) && inode != 0)
                {
                    memory.TryReadUInt32(inode + (ulong)iMode, out mode);
                    memory.TryReadUInt64(inode + (ulong)iMapping, out mapping);
                }

                string path = string.Empty;
                if (dentry != 0 && !paths.TryOf(dentry, mnt, out path, out ulong bad))
                {
                    problems.Add($"fd {fd}: the path of dentry {dentry:x} is incomplete: {bad:x} cannot be read");
                }

                files.Add(new OpenFile(fd, f, dentry, inode, mode & 0xFFFF, mapping, (mode & 0xF000) == 0xC000 && path == "/" ? string.Empty : path));
            }
        }

        return true;
    }
}
