using System.Globalization;
using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux;
using Kdx.Core.Linux.Fs;
using Kdx.Core.Memory;

namespace Kdx.Commands.Memory;

/// <summary><c>swap</c>: the swap devices and files in use.</summary>
public sealed class SwapCommand : Command
{
    /// <inheritdoc/>
    public override string Name => "swap";

    /// <inheritdoc/>
    public override string Summary => "swap devices and files";

    /// <inheritdoc/>
    public override string Usage => "swap";

    /// <inheritdoc/>
    public override string Help => """
        Lists each swap area the kernel uses (swap_info[0 .. nr_swapfiles-1] with SWP_USED): its
        struct swap_info_struct, whether it is a partition or a file, its size and how much of
        it is used (KiB and percent), its priority, and the path of the device or file. With
        no swap, only the heading is printed.

        Example:
          kdx> swap
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (args.Count > 0)
        {
            throw new CommandException($"swap: unexpected argument: {args[0]}");
        }

        var program = context.Session.Program;
        var memory = program.Kernel;
        context.WriteLine("SWAP_INFO_STRUCT    TYPE       SIZE       USED     PCT  PRI  FILENAME");
        if (!program.Symbols.TryGetAddress("nr_swapfiles", out ulong nrAt) || !program.Symbols.TryGetAddress("swap_info", out ulong table))
        {
            throw new CommandException("swap: the kernel has no nr_swapfiles or swap_info");
        }

        uint count = memory.ReadUInt32(nrAt, "nr_swapfiles");
        if (count > 64)
        {
            throw new CommandException($"swap: nr_swapfiles is {count}, more than MAX_SWAPFILES allows: the value is damaged");
        }

        var si = StructLayout.Find(program.Types, "swap_info_struct");
        var file = StructLayout.Find(program.Types, "file");
        var inode = StructLayout.Find(program.Types, "inode");
        var paths = new DentryPath(program);
        long pageKb = program.PageSize / 1024;
        var ci = CultureInfo.InvariantCulture;
        for (uint i = 0; i < count; i++)
        {
            // swap_info[] holds pointers since v4.14 (commit c10d38cc8d3e "mm, swap: dynamically allocate swap_info_struct").
            ulong s = memory.ReadUInt64(table + (i * 8), "swap_info[]");

            // include/linux/swap.h: SWP_USED is bit 0 of flags.
            if (s == 0 || (memory.ReadUInt64(s + (ulong)si.Offset("flags"), "swap_info_struct.flags") & 1) == 0)
            {
                continue;
            }

            ulong pages = memory.ReadUInt32(s + (ulong)si.Offset("pages"), "swap_info_struct.pages");
            ulong used = memory.ReadUInt32(s + (ulong)si.Offset("inuse_pages"), "swap_info_struct.inuse_pages");
            int prio = (short)memory.ReadUInt32(s + (ulong)si.Offset("prio"), "swap_info_struct.prio");
            ulong f = memory.ReadUInt64(s + (ulong)si.Offset("swap_file"), "swap_info_struct.swap_file");
            string path = "(unknown)";
            bool partition = false;
            if (f != 0 && memory.TryReadUInt64(f + (ulong)file.Offset("f_path.dentry"), out ulong dentry) && memory.TryReadUInt64(f + (ulong)file.Offset("f_path.mnt"), out ulong mnt))
            {
                path = paths.Of(dentry, mnt);
                partition = memory.TryReadUInt64(f + (ulong)file.Offset("f_inode"), out ulong ino) && memory.TryReadUInt32(ino + (ulong)inode.Offset("i_mode"), out uint mode) && (mode & 0xF000) == 0x6000;
            }

            ulong sizeKb = pages * (ulong)pageKb;
            ulong usedKb = used * (ulong)pageKb;
            ulong pct = sizeKb == 0 ? 0 : usedKb * 100 / sizeKb;
            context.WriteLine(CrashColumns.Center(s.ToString("x", ci), 16) + "  " + (partition ? "PARTITION" : "  FILE   ") + " " +
                CrashColumns.Center(string.Create(ci, $"{sizeKb}k"), 10, true) + " " + CrashColumns.Center(string.Create(ci, $"{usedKb}k"), 10, true) + " " +
                CrashColumns.Center(string.Create(ci, $"{pct,2}%"), 4, true) + " " + prio.ToString(ci).PadLeft(4) + "  " + path);
        }
    }
}
