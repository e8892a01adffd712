using System.Globalization;
using System.Text;
using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Commands.Tasks;
using Kdx.Core.Linux.Fs;

namespace Kdx.Commands.Fs;

/// <summary><c>mount</c>: the mounted file systems of the current task's mount namespace.</summary>
public sealed class MountCommand : Command
{
    private static readonly OptionParser Options = new("mount", string.Empty, "n");

    /// <inheritdoc/>
    public override string Name => "mount";

    /// <inheritdoc/>
    public override string Summary => "mounted file systems";

    /// <inheritdoc/>
    public override string Usage => "mount [-n pid | task]";

    /// <inheritdoc/>
    public override string Help => """
        Lists the mounts of a mount namespace, by default the current task's (see set): for
        each, its struct mount, its super_block, the file system type, the device name it was
        mounted from, and the directory it is mounted on.

          -n pid | task   the mount namespace of this task instead.

        Examples:
          kdx> mount
          kdx> mount -n 1
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        var o = Options.Parse(args);
        if (o.Positionals.Count > 0)
        {
            throw new CommandException($"mount: unexpected argument: {o.Positionals[0]} (the -f, -i and single-mount forms are not available)");
        }

        var tasks = TaskArguments.Select(context, Name, o.Value("n") is { } n ? [n] : []);
        if (tasks.Count == 0)
        {
            return;
        }

        var problems = new List<string>();
        var mounts = Mounts.Read(context.Session.Program, tasks[0], problems);
        context.WriteLine(CrashColumns.Center("MOUNT", 16) + " " + CrashColumns.Center("SUPERBLK", 16) + " " + "TYPE".PadRight(6) + " " + "DEVNAME".PadRight(9) + " DIRNAME");
        var ci = CultureInfo.InvariantCulture;
        foreach (var m in mounts)
        {
            // crash pads the type to 6 and the device to 9, then gives back the padding beyond 17 characters.
            var middle = new StringBuilder(m.Type.PadRight(6) + " " + m.DeviceName.PadRight(9) + " ");
            while (middle.Length > 17 && middle[^2] == ' ')
            {
                middle.Length--;
            }

            context.WriteLine(string.Create(ci, $"{m.Address,16:x} {m.SuperBlock,16:x} {middle}{m.Directory,-10}"));
        }

        foreach (string p in problems)
        {
            context.WriteLine($"mount: {p}");
        }
    }
}
