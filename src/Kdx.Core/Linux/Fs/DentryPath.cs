using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Fs;

/// <summary>
/// The path of a dentry as crash's files command spells it: the names from the dentry up to its file system's
/// root, then on through each mount's mount point up to the root mount. A nameless dentry (pipes, and other
/// pseudo files allocated with an empty name) ends the walk, so such a file's path is empty.
/// </summary>
public sealed class DentryPath
{
    private readonly IProgram _program;
    private readonly int _parent;
    private readonly int _nameLen;
    private readonly int _name;
    private readonly int? _mountOfVfs;
    private readonly int? _mountPoint;
    private readonly int? _mountParent;
    private readonly int _maxDepth;

    /// <summary>Looks up the offsets once (struct dentry, struct mount).</summary>
    public DentryPath(IProgram program, int maxDepth = 4096)
    {
        ArgumentNullException.ThrowIfNull(program);
        _program = program;
        _maxDepth = maxDepth;
        var dentry = StructLayout.Find(program.Types, "dentry");
        _parent = dentry.Offset("d_parent");

        // struct qstr keeps the length in the low half of hash_len (v3.7, commit 26fe575028703 "vfs: make
        // it possible to access the dentry hash/len as one 64-bit entry"), at offset 0 on little-endian.
        _nameLen = dentry.Offset("d_name") + (dentry.TryOffset("d_name.len") is int l ? l - dentry.Offset("d_name") : 0);
        _name = dentry.Offset("d_name.name");

        // struct mount wraps struct vfsmount (v3.3, commit 7d6fec45a5131 "vfs: start hiding vfsmount guts series").
        if (StructLayout.TryFind(program.Types, "mount") is { } mount && mount.TryOffset("mnt") is int mnt)
        {
            _mountOfVfs = mnt;
            _mountPoint = mount.Offset("mnt_mountpoint");
            _mountParent = mount.Offset("mnt_parent");
        }
    }

    /// <summary>
    /// The path of <paramref name="dentry"/> seen through the mount whose struct vfsmount is at
    /// <paramref name="vfsmount"/> (0: within its file system only). Unreadable memory ends the walk with
    /// what was found so far.
    /// </summary>
    public string Of(ulong dentry, ulong vfsmount) => Walk(dentry, vfsmount, out _);

    /// <summary>
    /// As <see cref="Of"/>, but false when the walk stopped at memory it could not read (a dentry, its name or a
    /// mount missing from the dump), so that the path is incomplete; <paramref name="unreadable"/> says where.
    /// </summary>
    public bool TryOf(ulong dentry, ulong vfsmount, out string path, out ulong unreadable)
    {
        path = Walk(dentry, vfsmount, out unreadable);
        return unreadable == 0;
    }

    private string Walk(ulong dentry, ulong vfsmount, out ulong unreadable)
    {
        unreadable = 0;
        var memory = _program.Memory;
        string path = string.Empty;
        ulong d = dentry;
        ulong mnt = vfsmount;
        bool first = true;
        for (int depth = 0; depth < _maxDepth; depth++)
        {
            if (!memory.TryReadUInt32(d + (ulong)_nameLen, out uint len) || !memory.TryReadUInt64(d + (ulong)_name, out ulong namePtr))
            {
                unreadable = d;
                break;
            }

            if (len == 0 || namePtr == 0)
            {
                break;
            }

            if (ReadName(namePtr, (int)Math.Min(len, 4096u)) is not { } name)
            {
                unreadable = namePtr;
                break;
            }

            if (name.Length != len)
            {
                break;
            }

            if (first)
            {
                path = name;
            }
            else
            {
                path = (name != "/" && !path.StartsWith('/')) ? name + "/" + path : name + path;
            }

            first = false;
            if (!memory.TryReadUInt64(d + (ulong)_parent, out ulong parent))
            {
                unreadable = d;
                break;
            }

            if (parent == 0)
            {
                break;
            }

            if (parent == d)
            {
                // The root of this file system: continue at the mount point in the parent mount.
                if (mnt == 0 || _mountOfVfs is not int off)
                {
                    break;
                }

                if (!memory.TryReadUInt64(mnt - (ulong)off + (ulong)_mountPoint!.Value, out ulong point) ||
                    !memory.TryReadUInt64(mnt - (ulong)off + (ulong)_mountParent!.Value, out ulong up))
                {
                    unreadable = mnt - (ulong)off;
                    break;
                }

                if (up == mnt - (ulong)off || up == 0)
                {
                    break;
                }

                if (path.StartsWith("//", StringComparison.Ordinal))
                {
                    path = path[1..];
                }

                mnt = up + (ulong)off;
                d = point;
                continue;
            }

            d = parent;
        }

        return path.Length > 1 && path.EndsWith('/') ? path[..^1] : path;
    }

    private string? ReadName(ulong address, int length)
    {
        Span<byte> buffer = stackalloc byte[length];
        if (_program.Memory.Read(address, buffer, out _) != ReadStatus.Ok)
        {
            return null;
        }

        int nul = buffer.IndexOf((byte)0);
        return System.Text.Encoding.Latin1.GetString(nul < 0 ? buffer : buffer[..nul]);
    }
}
