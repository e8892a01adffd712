using System.Globalization;
using System.Text.RegularExpressions;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Types;

/// <summary>
/// Enumerators and character constants in p and whatis on the real dumps, answered as crash 8.0.2 answered them
/// by hand on the 6.1 ELF dump ("p PIDTYPE_TGID" is "$1 = PIDTYPE_TGID", "p/d PIDTYPE_MAX" is 4, "whatis
/// PIDTYPE_TGID" is "enum pid_type = 1", "p 'a'" is "97 'a'"). The values come from gdb's own ptype of the
/// enums on the vmlinux (ref/truth/gdb-commands.json) and a task's comm from drgn, not from Kdx.
/// </summary>
public sealed partial class ExpressionConstantTests
{
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Enumerators_are_constants_of_their_enum(string runId)
    {
        var run = CiRuns.Get(runId);
        var gdb = run.LoadGdbCommands().ShouldNotBeNull("the truth family is made by tests/vmcores/setup.sh");
        var enums = new[] { "ptype enum pid_type", "ptype irq_handler_t" }
            .Select(c => gdb.Output(c).ShouldNotBeNull(c))
            .Select(o => EnumList().Match(o))
            .ToList();
        enums.ShouldAllBe(m => m.Success);
        using var kdx = KdxSession.Open(run, "elf");
        int checkedCount = 0;
        foreach (var m in enums)
        {
            string tag = m.Groups[1].Value;
            long next = 0;
            foreach (string item in m.Groups[2].Value.Split(", "))
            {
                // gdb lists "NAME" for the next value, "NAME = V" where the values jump.
                string[] parts = item.Split(" = ");
                long value = parts.Length == 2 ? long.Parse(parts[1], CultureInfo.InvariantCulture) : next;
                next = value + 1;
                string name = parts[0];
                Numbered(kdx.Run($"p {name}")).ShouldBe($"$N = {name}\n");
                Numbered(kdx.Run($"p/d {name}")).ShouldBe($"$N = {value}\n");
                Numbered(kdx.Run($"p/x {name}")).ShouldBe($"$N = 0x{value:x}\n");
                Numbered(kdx.Run($"p {name} * 2")).ShouldBe($"$N = {value * 2}\n");
                Numbered(kdx.Run($"p {name} == {value}")).ShouldBe("$N = 1\n");
                kdx.Run($"whatis {name}").ShouldBe($"enum {tag} = {value}\n");
                checkedCount++;
            }
        }

        checkedCount.ShouldBeGreaterThanOrEqualTo(8);

        // As an index: init_task.pid_links[PIDTYPE_TGID] is element 1 (PIDTYPE_TGID's value in gdb's list).
        Numbered(kdx.Run("p init_task.pid_links[PIDTYPE_TGID]")).ShouldBe(Numbered(kdx.Run("p init_task.pid_links[1]")));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Character_constants_compare_with_the_dumps_chars(string runId)
    {
        var run = CiRuns.Get(runId);
        var truth = run.LoadTruth().ShouldNotBeNull();
        var task = truth.Tasks.First(t => t.Comm.Length > 1 && t.Comm.All(char.IsAsciiLetterOrDigit));
        string comm = $"((struct task_struct *)0x{task.Address:x})->comm";
        using var kdx = KdxSession.Open(run, "elf");
        for (int i = 0; i < 2; i++)
        {
            char c = task.Comm[i];
            Numbered(kdx.Run($"p {comm}[{i}] == '{c}'")).ShouldBe("$N = 1\n");
            Numbered(kdx.Run($"p {comm}[{i}] == '{(char)(c + 1)}'")).ShouldBe("$N = 0\n");
            Numbered(kdx.Run($"p '{c}'")).ShouldBe($"$N = {(int)c} '{c}'\n");
            Numbered(kdx.Run($"p '\\{Convert.ToString(c, 8)}' - {comm}[{i}]")).ShouldBe("$N = 0\n");
        }
    }

    private static string Numbered(string output) => History().Replace(output, "$N");

    [GeneratedRegex(@"\$\d+")]
    private static partial Regex History();

    [GeneratedRegex(@"enum (\w+) \{([^}]*)\}")]
    private static partial Regex EnumList();
}
