using Kdx.Core.Linux.Tasks;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux.Fs;

/// <summary>One mount of a mount namespace.</summary>
/// <param name="Address">The struct mount.</param>
/// <param name="SuperBlock">mnt.mnt_sb.</param>
/// <param name="Type">The file system type's name (sb->s_type->name).</param>
/// <param name="DeviceName">mnt_devname.</param>
/// <param name="Directory">Where it is mounted (its mount point's path in the parent mount).</param>
public sealed record MountInfo(ulong Address, ulong SuperBlock, string Type, string DeviceName, string Directory);

/// <summary>
/// The mounts of a task's mount namespace (task->nsproxy->mnt_ns): the red-black tree <c>mounts</c> of struct
/// mount linked by <c>mnt_node</c> (v6.8, commit 2eea9ce4310d "mounts: keep list of mounts in an rbtree", which
/// renamed the older count <c>mounts</c> to <c>nr_mounts</c>; that member tells the layouts apart),
/// else the list <c>list</c> linked by <c>mnt_list</c>. Chosen by the members the kernel has.
/// </summary>
public static class Mounts
{
    /// <summary>Reads the mounts of <paramref name="task"/>'s namespace, in the kernel's order.</summary>
    public static List<MountInfo> Read(IProgram program, KernelTask task, List<string> problems, WalkLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(problems);
        var memory = program.Memory;
        var taskLayout = StructLayout.Find(program.Types, "task_struct");
        ulong nsproxy = memory.ReadUInt64(task.Address + (ulong)taskLayout.Offset("nsproxy"), "task_struct.nsproxy");
        if (nsproxy == 0)
        {
            throw new KdxException($"task {task.Address:x} has no nsproxy (it is exiting): its mount namespace is not known");
        }

        ulong ns = memory.ReadUInt64(nsproxy + (ulong)StructLayout.Find(program.Types, "nsproxy").Offset("mnt_ns"), "nsproxy.mnt_ns");
        var nsType = program.Types.FindType("mnt_namespace", TypeKind.Struct) ?? throw new KdxException("no type information for struct mnt_namespace");
        var mountType = program.Types.FindType("mount", TypeKind.Struct) ?? throw new KdxException("no type information for struct mount");
        var nsObject = KObject.FromAddress(program, new QualifiedType(nsType), ns);
        var mounts = new List<ulong>();
        try
        {
            var entries = nsObject.HasMember("nr_mounts")
                ? RbTree.InOrderEntries(nsObject["mounts"], mountType, "mnt_node", limits)
                : Lists.ForEachEntry(nsObject["list"], mountType, "mnt_list", validate: false, limits);
            foreach (var m in entries)
            {
                mounts.Add(m.ToUInt64());
            }
        }
        catch (KdxException e)
        {
            problems.Add($"mnt_namespace {ns:x}: {e.Message}; the mounts read so far are shown");
        }

        var mount = StructLayout.Find(program.Types, "mount");
        var sb = StructLayout.Find(program.Types, "super_block");
        var fsType = StructLayout.Find(program.Types, "file_system_type");
        int mnt = mount.Offset("mnt");
        int vfsSb = mnt + StructLayout.Find(program.Types, "vfsmount").Offset("mnt_sb");
        var paths = new DentryPath(program);
        var result = new List<MountInfo>();
        foreach (ulong m in mounts)
        {
            try
            {
                ulong super = memory.ReadUInt64(m + (ulong)vfsSb, "vfsmount.mnt_sb");
                ulong type = memory.ReadUInt64(super + (ulong)sb.Offset("s_type"), "super_block.s_type");
                ulong name = memory.ReadUInt64(type + (ulong)fsType.Offset("name"), "file_system_type.name");
                ulong dev = memory.ReadUInt64(m + (ulong)mount.Offset("mnt_devname"), "mount.mnt_devname");
                ulong parent = memory.ReadUInt64(m + (ulong)mount.Offset("mnt_parent"), "mount.mnt_parent");
                ulong point = memory.ReadUInt64(m + (ulong)mount.Offset("mnt_mountpoint"), "mount.mnt_mountpoint");
                string typeName = memory.ReadCString(name, 256, "file_system_type.name");
                string devName = dev == 0 ? "(unknown)" : memory.ReadCString(dev, 4096, "mount.mnt_devname");
                if (!paths.TryOf(point, parent + (ulong)mnt, out string dir, out ulong bad))
                {
                    problems.Add($"mount {m:x}: the path of its mount point is incomplete: {bad:x} cannot be read");
                }

                result.Add(new MountInfo(m, super, typeName, devName, dir));
            }
            catch (KdxException e)
            {
                problems.Add($"mount {m:x}: {e.Message}");
            }
        }

        return result;
    }
}
