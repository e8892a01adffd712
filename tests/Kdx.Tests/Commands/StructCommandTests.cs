namespace Kdx.Tests.Commands;

/// <summary>struct and union on hand-built types: definitions, offsets, contents, member lists, counts, -l, :cpuspec.</summary>
public sealed class StructCommandTests : IDisposable
{
    private const string Definition = """
        struct task {
            int pid;
            unsigned int prio : 3;
            unsigned int nice : 5;
            char comm[8];
            enum task_state state;
            _Bool on_cpu;
            u8 flag;
            union {
                unsigned long value;
                unsigned int half;
            };
            struct list_head tasks;
            struct task *parent;
            void (*fn)(struct task *);
            char *name;
            struct {
                int a;
                int b;
            } pair;
            unsigned int counts[3];
            int tail[];
        }

        """;

    private readonly TypeFixture _f = new();

    private string T => $"{_f.TaskAddress:x}";

    public void Dispose() => _f.Dispose();

    [Fact]
    public void A_definition_is_gdbs_ptype_body_and_the_size()
    {
        _f.Run("struct task").ShouldBe(Definition + "SIZE: 96\n");
        _f.Run("struct task -x").ShouldBe(Definition + "SIZE: 0x60\n");
    }

    [Fact]
    public void Offsets_are_right_aligned_to_the_width_of_the_size_and_members_of_a_named_unnamed_struct_have_none()
    {
        _f.Run("struct task -o").ShouldBe("""
            struct task {
               [0] int pid;
               [4] unsigned int prio : 3;
               [4] unsigned int nice : 5;
               [8] char comm[8];
              [16] enum task_state state;
              [20] _Bool on_cpu;
              [21] u8 flag;
                   union {
              [24]     unsigned long value;
              [24]     unsigned int half;
                   };
              [32] struct list_head tasks;
              [48] struct task *parent;
              [56] void (*fn)(struct task *);
              [64] char *name;
                   struct {
                       int a;
                       int b;
              [72] } pair;
              [80] unsigned int counts[3];
              [92] int tail[];
            }
            SIZE: 96

            """);
    }

    [Fact]
    public void An_unnamed_struct_type_of_a_named_member_two_levels_down_is_not_opened()
    {
        // crash's gdb: a named member's type is printed one level less deep, an unnamed member's as deep.
        const string Body = """
            union fields {
                struct {
                    void *addr;
                    union {
                        int trapno;
                        struct {...} bnd;
                    };
                } fault;
            }

            """;
        _f.Run("union fields").ShouldBe(Body + "SIZE: 16\n");
        _f.Run("ptype union fields").ShouldBe("type = " + Body);
        _f.Run("union -o fields").ShouldBe("""
            union fields {
                   struct {
                       void *addr;
                       union {
                           int trapno;
                           struct {...} bnd;
                       };
               [0] } fault;
            }
            SIZE: 16

            """);
    }

    [Fact]
    public void Offsets_with_an_address_become_member_addresses()
    {
        ulong t = _f.TaskAddress;
        string output = _f.Run($"struct task -o {t:x}");
        output.ShouldStartWith($"struct task {{\n  [{t:x}] int pid;\n  [{t + 4:x}] unsigned int prio : 3;\n");
        output.ShouldContain($"\n                     union {{\n  [{t + 24:x}]     unsigned long value;\n");
        output.ShouldEndWith($"  [{t + 92:x}] int tail[];\n}}\nSIZE: 96\n");
    }

    [Fact]
    public void Named_members_without_an_address_show_their_offset()
    {
        _f.Run("struct -o task.comm").ShouldBe("struct task {\n   [8] char comm[8];\n}\n");
        _f.Run("struct task.pid").ShouldBe("struct task {\n   [0] int pid;\n}\n");
    }

    [Fact]
    public void Contents_print_every_kind_of_member_as_gdb_does()
    {
        string t = T;
        _f.Run($"struct task {t}").ShouldBe($$"""
            struct task {
              pid = 42,
              prio = 5,
              nice = 3,
              comm = "sh\000\000\000\000\000",
              state = STATE_RUN,
              on_cpu = true,
              flag = 65 'A',
              {
                value = 1234605616436508552,
                half = 1432778632
              },
              tasks = {
                next = 0x{{_f.TaskAddress + 32:x}} <sys_call_table+32>,
                prev = 0x{{_f.TaskAddress + 32:x}} <sys_call_table+32>
              },
              parent = 0x{{t}} <sys_call_table>,
              fn = 0x{{_f.Program.DoExit:x}} <do_exit>,
              name = 0x{{_f.Program.LinuxBanner:x}} <linux_banner> "Linux\tversion",
              pair = {
                a = 1,
                b = -2
              },
              counts = {7, 8, 9},
              tail = 0x{{_f.TaskAddress + 92:x}} <sys_call_table+92>
            }

            """);
    }

    [Fact]
    public void Hexadecimal_output_drops_the_characters_and_bool_names_but_keeps_strings_and_enums()
    {
        string output = _f.Run($"struct task -x {T}");
        output.ShouldContain("  pid = 0x2a,\n");
        output.ShouldContain("  on_cpu = 0x1,\n");
        output.ShouldContain("  flag = 0x41,\n");
        output.ShouldContain("  comm = \"sh\\000\\000\\000\\000\\000\",\n");
        output.ShouldContain("  state = STATE_RUN,\n");
        output.ShouldContain("    b = 0xfffffffe\n"); // a negative int, as unsigned hex of its size
        output.ShouldContain("  counts = {0x7, 0x8, 0x9},\n");
    }

    [Fact]
    public void Member_lists_reach_nested_members_and_elements()
    {
        _f.Run($"struct task.pid,comm,pair.b,counts[1] {T}").ShouldBe("""
              pid = 42,
              comm = "sh\000\000\000\000\000",
              pair.b = -2,
              counts[1] = 8,

            """);
        _f.Run($"struct task.tasks {T}").ShouldBe($"  tasks = {{\n    next = 0x{_f.TaskAddress + 32:x} <sys_call_table+32>,\n    prev = 0x{_f.TaskAddress + 32:x} <sys_call_table+32>\n  }},\n");
    }

    [Fact]
    public void A_member_of_an_unnamed_union_keeps_the_unions_indentation_as_crash_cuts_it_from_the_whole_struct()
    {
        _f.Run($"struct task.pid,value,half {T}").ShouldBe("  pid = 42,\n    value = 1234605616436508552,\n    half = 1432778632,\n");
        _f.Run($"struct task.value -x {T}").ShouldBe("    value = 0x1122334455667788,\n");
    }

    [Fact]
    public void A_count_shows_consecutive_objects_separated_by_a_blank_line_and_a_negative_one_ends_at_the_address()
    {
        _f.Run($"struct task.pid {T} 2").ShouldBe("  pid = 42,\n\n  pid = 0,\n");
        _f.Run($"struct task.pid -c -2 {T}").ShouldBe("  pid = 0,\n\n  pid = 42,\n");
        _f.Run($"struct task.pid {T} 0").ShouldBe("struct: invalid count: 0\n");
    }

    [Fact]
    public void Minus_l_starts_the_struct_before_an_embedded_member()
    {
        string expected = _f.Run($"struct task.pid {T}");
        _f.Run("struct task.pid -l task.tasks sys_call_table+32").ShouldBe(expected);
        _f.Run("struct task.pid -l 32 sys_call_table+32").ShouldBe(expected);
    }

    [Fact]
    public void A_cpuspec_shows_the_per_cpu_object_on_each_cpu()
    {
        ulong cpu0 = _f.Program.Program.PerCpuAddress(FakeProgram.Runqueues, 0);
        ulong cpu1 = _f.Program.Program.PerCpuAddress(FakeProgram.Runqueues, 1);
        _f.Run("struct rq runqueues:a").ShouldBe($"[0]: {cpu0:x}\nstruct rq {{\n  nr_running = 2,\n  clock = 1000\n}}\n[1]: {cpu1:x}\nstruct rq {{\n  nr_running = 3,\n  clock = 2000\n}}\n");
        _f.Run("struct rq.clock runqueues:1").ShouldBe($"[1]: {cpu1:x}\n  clock = 2000,\n");
        _f.Run("struct rq runqueues:5").ShouldBe("struct: invalid cpu specification: 5\n");
    }

    [Fact]
    public void Unions_and_wrong_kinds_and_unknown_names_are_told_apart()
    {
        _f.Run("union value").ShouldBe("union value {\n    long l;\n    char c[8];\n}\nSIZE: 8\n");
        _f.Run("union task").ShouldBe("union: data type mismatch: task is not a union\n");
        _f.Run("struct value").ShouldBe("struct: data type mismatch: value is not a struct\n");
        _f.Run("struct nosuch").ShouldBe("struct: invalid data structure reference: nosuch\n");
        _f.Run($"struct task.nosuch {T}").ShouldBe("struct: invalid data structure reference: task.nosuch\n");
        _f.Run("struct").ShouldStartWith("struct: a struct name is needed");
    }

    [Fact]
    public void A_type_name_typed_as_a_command_runs_struct_union_or_whatis()
    {
        // "task" itself is crash's task command (a command wins over a type of the same name): list_head stands in.
        _f.Run("list_head").ShouldBe(_f.Run("struct list_head"));
        _f.Run($"list_head {T}").ShouldBe(_f.Run($"struct list_head {T}"));
        _f.Run($"task.pid {T}").ShouldBe("  pid = 42,\n");
        _f.Run("value").ShouldBe(_f.Run("union value"));
        _f.Run("u64").ShouldBe("typedef unsigned long u64;\nSIZE: 8\n");
        _f.Run("nosuchword").ShouldBe("kdx: command not found: nosuchword\n");
    }

    [Fact]
    public void Minus_r_shows_the_raw_words_as_rd_does_and_takes_one_member()
    {
        ulong a = _f.Program.Add; // struct list_head add = { NULL, 0xffff888000001000 }
        _f.Run($"struct list_head -r {a:x}").ShouldBe($"{a:x}:  0000000000000000 ffff888000001000   ................\n");
        _f.Run($"struct list_head -r {a:x} 2").ShouldStartWith($"{a:x}:  0000000000000000 ffff888000001000   ................\n\n{a + 16:x}:  ");
        _f.Run($"struct list_head.prev -r {a:x}").ShouldStartWith($"{a + 8:x}:  ffff888000001000 ");
        _f.Run($"struct list_head.next,prev -r {a:x}").ShouldBe("struct: only one structure member allowed with -r\n");
        _f.Run($"struct list_head -o -r {a:x}").ShouldStartWith($"struct list_head {{\n  [{a:x}] struct list_head *next;\n"); // -o wins
    }

    [Fact]
    public void Minus_p_declares_each_pointer_member_and_follows_it_on_the_next_lines()
    {
        ulong t = _f.TaskAddress;
        string output = _f.Run($"struct task -p {t:x}");
        output.ShouldContain($"\n  struct task *parent = 0x{t:x}\n  -> {{\n       pid = 42,\n");
        output.ShouldContain($"\n  void (*fn)(struct task *) = 0x{_f.Program.DoExit:x}\n  -> <do_exit>\n");
        output.ShouldContain("\n  pid = 42,\n"); // other members as without -p
        output.ShouldContain("\n    next = "); // a pointer inside a member struct is not followed
        _f.Run($"struct list_head -p {_f.Program.Add:x}").ShouldBe($"struct list_head {{\n  struct list_head *next = 0x0\n  -> NULL\n  struct list_head *prev = 0xffff888000001000\n  -> (not accessible)\n}}\n");
        _f.Run($"struct task.parent,pid -p {t:x}").ShouldStartWith($"  struct task *parent = 0x{t:x}\n  -> {{\n");
    }

    [Fact]
    public void Minus_u_is_refused_until_user_memory_is_there()
    {
        _f.Run($"struct task -u {_f.TaskAddress:x}").ShouldStartWith("struct: -u: ");
    }

    [Fact]
    public void An_unreadable_object_is_an_error_naming_the_address()
    {
        _f.Run("struct task 10").ShouldStartWith("struct: ");
        _f.Run("struct task 10").ShouldContain("10");
    }

    [Fact]
    public void A_typedef_of_a_struct_is_spelled_out_as_crash_does()
    {
        _f.Run("whatis atomic_t").ShouldBe("typedef struct {\n    int counter;\n} atomic_t;\nSIZE: 4\n");
        _f.Run("struct -o atomic_t").ShouldBe("typedef struct {\n  [0] int counter;\n} atomic_t;\nSIZE: 4\n");
        _f.Run("ptype atomic_t").ShouldBe("type = struct {\n    int counter;\n}\n");
    }

    [Fact]
    public void A_typedef_of_a_function_pointer_resolves_the_return_type_as_gdb_does()
    {
        _f.Run("whatis work_func_t").ShouldBe("typedef void (*)(int *) work_func_t;\nSIZE: 8\n");
        _f.Run("whatis irq_handler_t").ShouldBe("typedef enum irqreturn {IRQ_NONE, IRQ_HANDLED} (*)(int)\nSIZE: 8\n");
        _f.Run("ptype irq_handler_t").ShouldBe("type = enum irqreturn {IRQ_NONE, IRQ_HANDLED} (*)(int)\n");
    }
}
