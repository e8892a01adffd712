using Kdx.Core.Linux.Fs;
using Kdx.Core.Linux.Tasks;
using Kdx.Core.Types;
using Kdx.Tests.Model;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Linux;

/// <summary>
/// A task with a root file system, devtmpfs mounted on /dev, and a descriptor table holding a device, a
/// regular file, a pipe, a reserved descriptor, a file whose dentry is missing from the dump and a
/// descriptor in the bitmap's second word, to check TaskFiles and DentryPath.
/// </summary>
public sealed class TaskFilesTests
{
    private const ulong B = TestProgram.Base;
    private const ulong Task = B + 0x100, Fs = B + 0x200, Files = B + 0x300, Fdt = B + 0x400, FdArray = B + 0x500, OpenFds = B + 0x600;
    private const ulong RootMount = B + 0x1000, DevMount = B + 0x1100;
    private const ulong RootDir = B + 0x2000, Dev = B + 0x2100, DevRoot = B + 0x2200, Null = B + 0x2300, Tmp = B + 0x2400, F = B + 0x2500, Pipe = B + 0x2600;
    private const ulong NullInode = B + 0x3000, FInode = B + 0x3100, PipeInode = B + 0x3200;
    private const ulong Missing = 0x1000; // not in the test program's memory

    private readonly TestProgram _p = new();

    public TaskFilesTests()
    {
        var p = _p;
        var ptr = KType.Pointer(p.ULong);
        var path = KType.Struct("path", 16, () => [new KMember("mnt", ptr, 0), new KMember("dentry", ptr, 64)]);
        p.AddType("struct path", path);
        p.AddType("struct task_struct", KType.Struct("task_struct", 64, () => [new KMember("fs", ptr, 0), new KMember("files", ptr, 64)]));
        p.AddType("struct fs_struct", KType.Struct("fs_struct", 40, () => [new KMember("root", path, 64), new KMember("pwd", path, 192)]));
        p.AddType("struct files_struct", KType.Struct("files_struct", 16, () => [new KMember("fdt", ptr, 0)]));
        p.AddType("struct fdtable", KType.Struct("fdtable", 32, () => [new KMember("max_fds", p.UInt, 0), new KMember("fd", ptr, 64), new KMember("open_fds", ptr, 128)]));
        p.AddType("struct file", KType.Struct("file", 32, () => [new KMember("f_path", path, 128)]));
        var qstr = KType.Struct("qstr", 16, () => [new KMember("len", p.UInt, 0), new KMember("name", ptr, 64)]);
        p.AddType("struct dentry", KType.Struct("dentry", 48, () => [new KMember("d_parent", ptr, 0), new KMember("d_name", qstr, 64), new KMember("d_inode", ptr, 192)]));
        p.AddType("struct inode", KType.Struct("inode", 32, () => [new KMember("i_mode", KType.Int("unsigned short", 2, false), 0), new KMember("i_mapping", ptr, 64)]));
        var vfsmount = KType.Struct("vfsmount", 8, () => [new KMember("mnt_root", ptr, 0)]);
        p.AddType("struct mount", KType.Struct("mount", 64, () => [new KMember("mnt_parent", ptr, 0), new KMember("mnt_mountpoint", ptr, 64), new KMember("mnt", vfsmount, 128)]));

        Mount(RootMount, RootMount, RootDir);
        Mount(DevMount, RootMount, Dev);
        Dentry(RootDir, RootDir, "/", 0);
        Dentry(Dev, RootDir, "dev", 0);
        Dentry(DevRoot, DevRoot, "/", 0);
        Dentry(Null, DevRoot, "null", NullInode);
        Dentry(Tmp, RootDir, "tmp", 0);
        Dentry(F, Tmp, "f", FInode);
        Dentry(Pipe, Pipe, string.Empty, PipeInode);
        p.Write(NullInode, 0x2000 | 0x1b6, 2);
        p.Write(FInode, 0x8000 | 0x1a4, 2);
        p.Write(FInode + 8, FInode + 0x10);
        p.Write(PipeInode, 0x1000 | 0x180, 2);

        p.Write(Task, Fs);
        p.Write(Task + 8, Files);
        p.Write(Fs + 8, RootMount + 16);
        p.Write(Fs + 16, RootDir);
        p.Write(Fs + 24, RootMount + 16);
        p.Write(Fs + 32, Tmp);
        p.Write(Files, Fdt);
        p.Write(Fdt, 128, 4);
        p.Write(Fdt + 8, FdArray);
        p.Write(Fdt + 16, OpenFds);
        File(0, Null, DevMount + 16);
        File(1, F, RootMount + 16);
        File(2, Pipe, 0);
        File(4, Missing, RootMount + 16);
        File(65, F, RootMount + 16);
        p.Write(OpenFds, 0b11111); // 0-4; 3 is reserved (NULL file)
        p.Write(OpenFds + 8, 0b10);
    }

    private static KernelTask TheTask => new() { Address = Task, Pid = 42, Comm = "t" };

    private void Mount(ulong mount, ulong parent, ulong mountpoint)
    {
        _p.Write(mount, parent);
        _p.Write(mount + 8, mountpoint);
    }

    private void Dentry(ulong dentry, ulong parent, string name, ulong inode)
    {
        _p.Write(dentry, parent);
        _p.Write(dentry + 8, (ulong)name.Length, 4);
        _p.Write(dentry + 16, dentry + 0x40);
        _p.WriteString(dentry + 0x40, name);
        _p.Write(dentry + 24, inode);
    }

    private void File(int fd, ulong dentry, ulong mnt)
    {
        ulong file = B + 0x4000 + ((ulong)fd * 0x40);
        _p.Write(FdArray + ((ulong)fd * 8), file);
        _p.Write(file + 16, mnt);
        _p.Write(file + 24, dentry);
    }

    [Fact]
    public void Paths_cross_mounts_and_pseudo_files_have_none()
    {
        var paths = new DentryPath(_p);
        paths.Of(Null, DevMount + 16).ShouldBe("/dev/null");
        paths.Of(Null, 0).ShouldBe("/null");
        paths.Of(F, RootMount + 16).ShouldBe("/tmp/f");
        paths.Of(RootDir, RootMount + 16).ShouldBe("/");
        paths.Of(Pipe, 0).ShouldBe(string.Empty);
        paths.TryOf(Missing, 0, out string none, out ulong bad).ShouldBeFalse();
        none.ShouldBe(string.Empty);
        bad.ShouldBe(Missing);
    }

    [Fact]
    public void Open_files_are_read_from_the_bitmap_and_the_fd_array()
    {
        var files = TaskFiles.Read(_p, TheTask);

        files.Root.ShouldBe("/");
        files.Cwd.ShouldBe("/tmp");
        files.Files.Select(f => (f.Fd, f.Type, f.Path)).ShouldBe(
            [(0, "CHR", "/dev/null"), (1, "REG", "/tmp/f"), (2, "FIFO", string.Empty), (4, "?", string.Empty), (65, "REG", "/tmp/f")]);
        files.Files[1].Mapping.ShouldBe(FInode + 0x10);
        files.Problems.ShouldHaveSingleItem().ShouldContain("fd 4: the path of dentry 1000 is incomplete");
    }

    [Fact]
    public void A_damaged_table_is_reported_and_what_can_be_read_is_kept()
    {
        _p.Write(FdArray + 8, Missing);       // fd 1's file pointer leads nowhere
        _p.Write(Fdt, 1u << 30, 4);           // an absurd max_fds
        var files = TaskFiles.Read(_p, TheTask);
        files.Files.Select(f => f.Fd).ShouldBe([0, 1, 2, 4, 65]);
        files.Problems.ShouldContain(p => p.Contains("max_fds 1073741824 is implausible", StringComparison.Ordinal));
        files.Problems.ShouldContain(p => p.Contains("fd 1: struct file at 1000 is unreadable", StringComparison.Ordinal));

        _p.Write(Fdt + 16, Missing);          // the bitmap itself is gone
        var none = TaskFiles.Read(_p, TheTask);
        none.Files.ShouldBeEmpty();
        none.HasTable.ShouldBeTrue();
        none.Problems.ShouldContain(p => p.Contains("open_fds at 1000: unreadable", StringComparison.Ordinal));

        _p.Write(Task + 8, 0);                // an exiting task without files
        TaskFiles.Read(_p, TheTask).HasTable.ShouldBeFalse();
    }
}
