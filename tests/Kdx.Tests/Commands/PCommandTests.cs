namespace Kdx.Tests.Commands;

/// <summary>p, whatis, ptype and eval on hand-built types.</summary>
public sealed class PCommandTests : IDisposable
{
    private readonly TypeFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void A_lone_symbol_is_named_and_values_are_numbered_through_the_session()
    {
        _f.Run("p jiffies").ShouldBe("jiffies = $1 = 4294894904\n");
        _f.Run("p jiffies").ShouldBe("jiffies = $2 = 4294894904\n");
        _f.Run("p -x jiffies").ShouldBe("jiffies = $3 = 0xfffee538\n");
        _f.Run("p/x jiffies").ShouldBe("$4 = 0xfffee538\n");
        _f.Run("p/d 0x10").ShouldBe("$5 = 16\n");
        _f.Run("jiffies").ShouldBe("jiffies = $6 = 4294894904\n");
        _f.Run("p nosuch").ShouldStartWith("p: ");
        _f.Run("p sys_call_table.pid").ShouldBe("$7 = 42\n"); // a failed p takes no number
    }

    [Fact]
    public void Enumerators_are_constants_of_their_enum_as_gdb_takes_them()
    {
        _f.Run("p STATE_RUN").ShouldBe("$1 = STATE_RUN\n");
        _f.Run("p/d STATE_DEAD").ShouldBe("$2 = 4\n");
        _f.Run("p/x STATE_DEAD").ShouldBe("$3 = 0x4\n");
        _f.Run("p STATE_DEAD * 2").ShouldBe("$4 = 8\n");
        _f.Run("p sys_call_table.counts[STATE_RUN]").ShouldBe("$5 = 8\n");
        _f.Run("p sys_call_table.state == STATE_RUN").ShouldBe("$6 = 1\n");
        _f.Run("p sys_call_table.state == STATE_IDLE").ShouldBe("$7 = 0\n");
        _f.Run("whatis STATE_DEAD").ShouldBe("enum task_state = 4\n");
        _f.Run("p STATE_NONE").ShouldStartWith("p: no symbol named STATE_NONE");
    }

    [Fact]
    public void Character_constants_are_chars_as_gdb_types_them()
    {
        _f.Run("p 'a'").ShouldBe("$1 = 97 'a'\n");
        _f.Run("p '\\n'").ShouldBe("$2 = 10 '\\n'\n");
        _f.Run("p '\\0'").ShouldBe("$3 = 0 '\\000'\n");
        _f.Run("p '\\177'").ShouldBe("$4 = 127 '\\177'\n");
        _f.Run("p '\\x41'").ShouldBe("$5 = 65 'A'\n");
        _f.Run("p '\\''").ShouldBe("$6 = 39 '\\''\n");
        _f.Run("p 'a' + 1").ShouldBe("$7 = 98\n");
        _f.Run("p sys_call_table.comm[0] == 's'").ShouldBe("$8 = 1\n");
        _f.Run("p 'ab'").ShouldStartWith("p: bad character constant");
        _f.Run("p '\\q'").ShouldStartWith("p: unknown escape");
        _f.Run("p '").ShouldStartWith("p: bad character constant");
    }

    [Fact]
    public void Expressions_print_with_gdbs_top_level_forms()
    {
        ulong t = _f.TaskAddress;
        _f.Run("p sys_call_table.comm").ShouldBe("$1 = \"sh\\000\\000\\000\\000\\000\"\n");
        _f.Run("p sys_call_table.pid + 1").ShouldBe("$2 = 43\n");
        _f.Run("p &sys_call_table.tasks").ShouldBe($"$3 = (struct list_head *) 0x{t + 32:x} <sys_call_table+32>\n");
        _f.Run("p sys_call_table.fn").ShouldBe($"$4 = (void (*)(struct task *)) 0x{_f.Program.DoExit:x} <do_exit>\n");
        _f.Run("p sys_call_table.name").ShouldBe($"$5 = 0x{_f.Program.LinuxBanner:x} <linux_banner> \"Linux\\tversion\"\n");
        _f.Run("p sys_call_table.flag").ShouldBe("$6 = 65 'A'\n");
        _f.Run("p sys_call_table.state").ShouldBe("$7 = STATE_RUN\n");
        _f.Run("p sys_call_table.counts").ShouldBe("$8 = {7, 8, 9}\n");
        _f.Run("p sizeof(struct task)").ShouldBe("$9 = 96\n");
        _f.Run("p *sys_call_table.parent").ShouldStartWith("$10 = {\n  pid = 42,\n  prio = 5,\n");
    }

    [Fact]
    public void A_named_array_or_function_goes_on_a_line_of_its_own_as_crash_prints_it()
    {
        _f.Run("p linux_banner").ShouldBe("linux_banner = $1 = \"Linux\\tversion\\000\\000\"\n");
        _f.Run("p do_exit").ShouldBe($"do_exit = $2 = \n {{void (long)}} 0x{_f.Program.DoExit:x} <do_exit>\n");
    }

    [Fact]
    public void Per_cpu_variables_show_their_addresses_or_their_values_per_cpu()
    {
        ulong cpu0 = _f.Program.Program.PerCpuAddress(FakeProgram.Runqueues, 0);
        ulong cpu1 = _f.Program.Program.PerCpuAddress(FakeProgram.Runqueues, 1);
        _f.Run("p runqueues").ShouldBe($"PER-CPU DATA TYPE:\n  struct rq runqueues;\nPER-CPU ADDRESSES:\n  [0]: {cpu0:x}\n  [1]: {cpu1:x}\n");
        _f.Run("p runqueues:1").ShouldBe("per_cpu(runqueues, 1) = $1 = {\n  nr_running = 3,\n  clock = 2000\n}\n");
        _f.Run("p -x runqueues:a").ShouldBe("per_cpu(runqueues, 0) = $2 = {\n  nr_running = 0x2,\n  clock = 0x3e8\n}\nper_cpu(runqueues, 1) = $3 = {\n  nr_running = 0x3,\n  clock = 0x7d0\n}\n");
    }

    [Fact]
    public void Bad_options_and_missing_expressions_are_errors()
    {
        _f.Run("p").ShouldStartWith("p: an expression is needed");
        _f.Run("p -z jiffies").ShouldBe("p: invalid option -- 'z'\n");
        _f.Run("p -u jiffies").ShouldStartWith("p: -u needs a user task context");
    }

    [Fact]
    public void Whatis_describes_types_variables_and_functions()
    {
        _f.Run("whatis task").ShouldBe(_f.Run("struct task"));
        _f.Run("whatis struct task").ShouldBe(_f.Run("struct task"));
        _f.Run("whatis union value").ShouldBe(_f.Run("union value"));
        _f.Run("whatis enum task_state").ShouldBe("enum task_state {\n  STATE_IDLE = 0\n  STATE_RUN = 1\n  STATE_DEAD = 4\n};\n");
        _f.Run("whatis u64").ShouldBe("typedef unsigned long u64;\nSIZE: 8\n");
        _f.Run("whatis pid_t").ShouldBe("typedef int pid_t;\nSIZE: 4\n"); // through every typedef
        _f.Run("whatis jiffies").ShouldBe("volatile unsigned long jiffies;\n");
        _f.Run("whatis sys_call_table").ShouldBe("struct task sys_call_table;\n");
        _f.Run("whatis do_exit").ShouldBe("void do_exit(long);\n");
        _f.Run("whatis schedule").ShouldBe("void schedule(void);\n");
        _f.Run("whatis nosuch").ShouldBe(
            "whatis: cannot resolve: nosuch\nUsage:\n  whatis [[-o] [struct | union | typedef | symbol]] | \n         [[-r [size|range]] [-m member]]\n" +
            "Enter \"help whatis\" for details.\n");
        _f.Run("whatis struct task *").ShouldBe(_f.Run("struct task")); // crash shows the structure pointed to
    }

    [Fact]
    public void Ptype_prints_gdbs_type_lines()
    {
        string body = _f.Run("struct task");
        body = body[..body.IndexOf("SIZE:", StringComparison.Ordinal)];
        _f.Run("ptype struct task").ShouldBe("type = " + body);
        _f.Run("ptype sys_call_table.parent").ShouldBe("type = " + body.TrimEnd('\n') + " *\n");
        _f.Run("ptype u64").ShouldBe("type = unsigned long\n");
        _f.Run("ptype enum task_state").ShouldBe("type = enum task_state {STATE_IDLE, STATE_RUN, STATE_DEAD = 4}\n");
        _f.Run("ptype sys_call_table.state").ShouldBe("type = enum task_state {STATE_IDLE, STATE_RUN, STATE_DEAD = 4}\n");
        _f.Run("ptype do_exit").ShouldBe("type = void (long)\n");
        _f.Run("ptype struct nosuch").ShouldBe("ptype: no struct named nosuch\n");
        _f.Run("ptype struct task *").ShouldBe("type = " + body.TrimEnd('\n') + " *\n");
    }

    [Theory]
    [InlineData("eval 4096", "hexadecimal: 1000  (4KB)\n    decimal: 4096  \n      octal: 10000\n     binary: 0000000000000000000000000000000000000000000000000001000000000000\n")]
    [InlineData("eval 1g", "hexadecimal: 40000000  (1GB)\n    decimal: 1073741824  \n      octal: 10000000000\n     binary: 0000000000000000000000000000000001000000000000000000000000000000\n")]
    [InlineData("eval 3m", "hexadecimal: 300000  (3MB)\n    decimal: 3145728  \n      octal: 14000000\n     binary: 0000000000000000000000000000000000000000001100000000000000000000\n")]
    [InlineData("eval -5", "hexadecimal: fffffffffffffffb  \n    decimal: 18446744073709551611  (-5)\n      octal: 1777777777777777777773\n     binary: 1111111111111111111111111111111111111111111111111111111111111011\n")]
    [InlineData("eval 3k + 1", "hexadecimal: c01  \n    decimal: 3073  \n      octal: 6001\n     binary: 0000000000000000000000000000000000000000000000000000110000000001\n")]
    [InlineData("eval -b 0x1234", "hexadecimal: 1234  \n    decimal: 4660  \n      octal: 11064\n     binary: 0000000000000000000000000000000000000000000000000001001000110100\n   bits set: 12 9 5 4 2 \n")]
    [InlineData("eval -b 0", "hexadecimal: 0  \n    decimal: 0  \n      octal: 0\n     binary: 0000000000000000000000000000000000000000000000000000000000000000\n   bits set: \n")]
    [InlineData("eval -l 0x10 + 3", "hexadecimal: 13  \n    decimal: 19  \n      octal: 23\n     binary: 0000000000000000000000000000000000000000000000000000000000010011\n")]
    [InlineData("eval", "eval: an expression is needed: eval [-b][-l] (expression) | value\n")]
    [InlineData("eval -q 1", "eval: invalid option -- 'q'\n")]
    public void Eval_shows_crashs_four_bases(string line, string expected)
    {
        _f.Run(line).ShouldBe(expected);
    }

    [Fact]
    public void Eval_takes_symbols_and_operators()
    {
        _f.Run("eval jiffies").ShouldStartWith($"hexadecimal: {_f.Program.Jiffies:x}  ");
        _f.Run("eval (0x7 << 4) | 1").ShouldStartWith("hexadecimal: 71  \n");
        _f.Run("eval 100 / 7").ShouldStartWith("hexadecimal: e  \n");
    }
}
