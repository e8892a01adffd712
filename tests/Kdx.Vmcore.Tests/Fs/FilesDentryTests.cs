using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Fs;

/// <summary>
/// <c>files -d DENTRY</c> (not in crash's state answers): each open file of every process leader seen through
/// its dentry alone must show the inode, type and path <c>files</c> showed for it (paths checked against drgn
/// in TaskTruthTests), on the unfiltered ELF dump of every run.
/// </summary>
public sealed class FilesDentryTests
{
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void A_dentry_shows_the_inode_type_and_path_files_showed(string runId)
    {
        var run = CiRuns.Get(runId);
        using var kdx = KdxSession.Open(run, "elf");
        int compared = 0;
        foreach (var task in kdx.Session.Tasks.Tasks.Where(t => t.IsGroupLeader && !t.IsKernelThread))
        {
            foreach (string line in kdx.Run($"files {task.Address:x}").Split('\n'))
            {
                var f = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 5 || !int.TryParse(f[0], System.Globalization.CultureInfo.InvariantCulture, out _) || f[2].Length != 16)
                {
                    continue;
                }

                // crash looks a dentry's mount up among init's mounts and the pipe and socket mounts only: other
                // pseudo files (anon_inode:[eventfd] …) get no path from -d, though files names them.
                string path = f.Length > 5 ? f[5] : string.Empty;
                if (!path.StartsWith('/') && f[4] is not ("FIFO" or "SOCK"))
                {
                    path = string.Empty;
                }

                var answer = kdx.Run($"files -d {f[2]}").Split('\n');
                answer[0].ShouldBe("     DENTRY           INODE           SUPERBLK     TYPE PATH");
                var row = answer[1].Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
                (row[0], row[1], row[3], row.Length > 4 ? row[4] : string.Empty).ShouldBe((f[2], f[3], f[4], path), $"pid {task.Pid}: {line}");
                compared++;
            }
        }

        compared.ShouldBeGreaterThan(50);
        kdx.Run("files -d 0x10").ShouldStartWith("     DENTRY");
        kdx.Run("files -d 0x10").ShouldContain("files: ");
    }
}
