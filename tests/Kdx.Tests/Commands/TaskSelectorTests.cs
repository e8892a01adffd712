using Kdx.Commands;
using Kdx.Commands.Formatting;
using Kdx.Commands.Tasks;
using Kdx.Core.Linux.Tasks;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Commands;

/// <summary>foreach's selectors, task arguments, task -R's member search and crash's column centring.</summary>
public sealed class TaskSelectorTests
{
    private const uint Kthread = 0x00200000;

    private static readonly KernelTask[] Known =
    [
        new() { Address = 0xffffffff81000000, Pid = 0, Tgid = 0, Comm = "swapper/0", State = 0, Flags = Kthread, Sources = TaskSources.Idle | TaskSources.Current },
        new() { Address = 0xffff888000010000, Pid = 0, Tgid = 0, Comm = "swapper/1", State = 0, Flags = Kthread, Cpu = 1, Sources = TaskSources.Idle },
        new() { Address = 0xffff888000001000, Pid = 1, Tgid = 1, Comm = "init", State = 1, Mm = 0x1000 },
        new() { Address = 0xffff888000002000, Pid = 2, Tgid = 2, Comm = "kthreadd", State = 1, Flags = Kthread },
        new() { Address = 0xffff888000005000, Pid = 5, Tgid = 5, Comm = "sh", State = 0, Mm = 0x5000, Cpu = 1, Sources = TaskSources.Current },
        new() { Address = 0xffff888000006000, Pid = 6, Tgid = 5, Comm = "sh", State = 1, Mm = 0x5000 },
        new() { Address = 0xffff888000007000, Pid = 7, Tgid = 7, Comm = "kworker/0:1", State = 2 | 0x400, Flags = Kthread },
        new() { Address = 0xffff888000008000, Pid = 8, Tgid = 8, Comm = "dd", State = 32, Mm = 0x8000 },
    ];

    private static readonly TaskList Tasks = TaskList.Create(Known, TaskStates.Default, [Known[0].Address, Known[4].Address]);

    private static int[] Select(params string[] words)
    {
        var warnings = new List<string>();
        var s = TaskSelector.Parse(words, Tasks, warnings.Add);
        return [.. Tasks.Tasks.Where(t => s.Matches(t, Tasks.States)).Select(t => t.Pid)];
    }

    [Fact]
    public void Without_selectors_every_task_is_taken()
    {
        Select().ShouldBe([0, 0, 1, 2, 5, 6, 7, 8]);
    }

    [Fact]
    public void Names_pids_addresses_and_patterns_add_up()
    {
        Select("sh").ShouldBe([5, 6]);
        Select("1", "sh").ShouldBe([1, 5, 6]);
        Select("ffff888000002000").ShouldBe([2]);
        Select("0xffff888000002000", "8").ShouldBe([2, 8]);
        Select("'kworker.*'").ShouldBe([7]);
        Select("kwork").ShouldBe([7]); // the quotes are gone once the command line is split: tried as a pattern
        Select("0").ShouldBe([0, 0]);
    }

    [Fact]
    public void Dd_is_a_command_name_when_no_task_has_that_address_or_pid()
    {
        Select("dd").ShouldBe([8]);
    }

    [Fact]
    public void Kernel_user_gleader_active_and_state_narrow_the_choice()
    {
        Select("kernel").ShouldBe([0, 0, 2, 7]);
        Select("user").ShouldBe([1, 5, 6, 8]);
        Select("gleader").ShouldBe([1, 5, 8]);
        Select("active").ShouldBe([0, 5]);
        Select("RU").ShouldBe([0, 0, 5]);
        Select("IN").ShouldBe([1, 2, 6]);
        Select("ZO").ShouldBe([8]);
        Select("ID").ShouldBe([7]);
        Select("UN").ShouldBe([]);
        Select("user", "RU").ShouldBe([5]);
        Select("sh", "IN").ShouldBe([6]);
        Select("kernel", "active").ShouldBe([0]);
        Select("\\DE").ShouldBe([]);
    }

    [Fact]
    public void Contradictions_are_refused_and_unknown_words_select_nothing()
    {
        Should.Throw<Kdx.Commands.Infrastructure.CommandException>(() => Select("kernel", "user")).Message.ShouldContain("mutually exclusive");
        Should.Throw<Kdx.Commands.Infrastructure.CommandException>(() => Select("gleader", "kernel")).Message.ShouldContain("mutually exclusive");
        Should.Throw<Kdx.Commands.Infrastructure.CommandException>(() => Select("RU", "IN")).Message.ShouldContain("only one task state");
        Should.Throw<Kdx.Commands.Infrastructure.CommandException>(() => Select("'('")).Message.ShouldContain("invalid regular expression");
        var warnings = new List<string>();
        var s = TaskSelector.Parse(["nosuchtask"], Tasks, warnings.Add);
        warnings.ShouldBe(["foreach: unknown argument: \"nosuchtask\""]);
        Tasks.Tasks.Where(t => s.Matches(t, Tasks.States)).ShouldBeEmpty();
        Select("99").ShouldBe([]); // a number naming no task is no selector either
    }

    [Fact]
    public void Task_arguments_are_pids_first_then_task_addresses()
    {
        TaskArguments.IsNumber("12").ShouldBeTrue();
        TaskArguments.IsNumber("0xffff888000001000").ShouldBeTrue();
        TaskArguments.IsNumber("dd").ShouldBeTrue();
        TaskArguments.IsNumber("sh").ShouldBeFalse();
        TaskArguments.IsNumber("0x").ShouldBeFalse();
        TaskArguments.Resolve(Tasks, "0").Count.ShouldBe(2);
        TaskArguments.Resolve(Tasks, "5").ShouldHaveSingleItem().Comm.ShouldBe("sh");
        TaskArguments.Resolve(Tasks, "ffff888000006000").ShouldHaveSingleItem().Pid.ShouldBe(6);
        TaskArguments.Resolve(Tasks, "0x5").ShouldBeEmpty();
        TaskArguments.Resolve(Tasks, "dd").ShouldBeEmpty();
        TaskArguments.Header(Known[4]).ShouldBe("PID: 5        TASK: ffff888000005000  CPU: 1    COMMAND: \"sh\"");
        TaskArguments.Header(Known[0]).ShouldBe("PID: 0        TASK: ffffffff81000000  CPU: 0    COMMAND: \"swapper/0\"");
    }

    [Fact]
    public void Task_member_search_takes_top_level_lines_and_whole_nested_values()
    {
        string[] lines =
        [
            "struct task_struct {",
            "  thread_info = {",
            "    flags = 8,",
            "    cpu = 1",
            "  },",
            "  flags = 4194560,",
            "  se = {",
            "    load = {",
            "      weight = 1",
            "    },",
            "    on_rq = 1",
            "  },",
            "  {",
            "    pid = 7,",
            "  },",
            "  comm = \"sh\\000\",",
            "}",
        ];
        TaskCommand.MemberLines(lines, "flags").ShouldBe(["  flags = 4194560,"]);
        TaskCommand.MemberLines(lines, "cpu").ShouldBeEmpty();
        TaskCommand.MemberLines(lines, "se").ShouldBe(lines[6..12]);
        TaskCommand.MemberLines(lines, "thread_info").ShouldBe(lines[1..5]);
        TaskCommand.MemberLines(lines, "pid").ShouldBe(["    pid = 7,"]);
        TaskCommand.MemberLines(lines, "comm").ShouldBe(["  comm = \"sh\\000\","]);
    }

    [Fact]
    public void Columns_are_centred_with_the_odd_space_after_unless_leaning_right()
    {
        CrashColumns.Center("MM", 16).ShouldBe("       MM       ");
        CrashColumns.Center("VMA", 16).ShouldBe("      VMA       ");
        CrashColumns.Center("VMA", 16, leanRight: true).ShouldBe("       VMA      ");
        CrashColumns.Center("64k", 6).ShouldBe(" 64k  ");
        CrashColumns.Center("TOTAL_VM", 8).ShouldBe("TOTAL_VM");
        CrashColumns.Center("much too long", 4).ShouldBe("much too long");
        SigCommand.SignalName(1).ShouldBe("SIGHUP");
        SigCommand.SignalName(33).ShouldBe("SIGRTMIN+1");
        SigCommand.SignalName(49).ShouldBe("SIGRTMAX-15");
        SigCommand.SignalName(64).ShouldBe("SIGRTMAX");
        SigCommand.SignalName(65).ShouldBe("?");
    }
}
