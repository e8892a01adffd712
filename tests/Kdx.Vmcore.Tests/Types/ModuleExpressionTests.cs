using System.Text.RegularExpressions;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Types;

/// <summary>
/// Expressions that name the test module's variables, after <c>mod -s vmlab</c> loaded its debuginfo: the
/// module's symbols resolve like the kernel's, and the kernel structs the module only declares (struct
/// kmem_cache, struct task_struct) are read through the kernel's definitions. Checked against what the
/// module itself printed on the console when it planted its objects.
/// </summary>
public sealed partial class ModuleExpressionTests
{
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Module_variables_and_the_kernel_structs_they_point_to_are_read(string runId)
    {
        var run = CiRuns.Get(runId);
        var planted = File.ReadLines(run.Dmesg).Select(l => Kthread().Match(l)).First(m => m.Success);
        using var kdx = KdxSession.Open(run, "elf");
        kdx.Run($"mod -s vmlab {run.VmlabKo}").ShouldContain("vmlab");

        kdx.Run("p vmlab_kthread_task->pid").ShouldBe($"$1 = {planted.Groups[1].Value}\n");
        kdx.Run("p vmlab_kthread_task").ShouldContain($"0x{planted.Groups[2].Value}");
        kdx.Run("p vmlab_kthread_task->comm").ShouldBe("$3 = \"vmlab_kthread\\000\\000\"\n");
        kdx.Run("p vmlab_cache->name").ShouldEndWith(" \"vmlab_cache\"\n");
        kdx.Run("p vmlab_items").ShouldStartWith("vmlab_items = $");
    }

    [TestBedFact]
    public void Arrays_declared_without_a_length_take_it_from_the_symbol_as_crash_does()
    {
        // gdb alone says "const char []" for linux_banner; crash prints the length from the ELF symbol's size.
        int compared = 0;
        foreach (var id in CiRuns.Ids)
        {
            var run = CiRuns.Get(id);
            if (run.Reference("types")?.Find("whatis linux_banner") is not { Status: "ok", CrashFailed: null, Output: { } expected })
            {
                continue;
            }

            using var kdx = KdxSession.Open(run, "elf");
            kdx.Run("whatis linux_banner").ShouldBe(expected);
            compared++;
        }

        compared.ShouldBeGreaterThanOrEqualTo(3);
    }

    [GeneratedRegex(@"vmlab: vmlab_kthread pid=(\d+) task=([0-9a-f]+)")]
    private static partial Regex Kthread();
}
