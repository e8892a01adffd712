namespace Kdx.Vmcore.Tests.TestBed;

/// <summary><see cref="CrashStructText"/> on hand-written crash output (the shapes crash 8.0.2 prints).</summary>
public sealed class CrashStructTextTests
{
    private const string Sample = """
        struct demo {
           [0] unsigned long flags;
               union {
                   struct {
           [8]         struct list_head lru;
          [24]         void *mapping;
                   };
           [8]     struct callback_head callback_head;
               };
               struct {
          [32]     u32 *uaddr;
          [40]     u64 expires;
               } futex;
               union {
                   struct {
          [44]         u16 a;
                   };
                   struct {
          [44]         u16 a;
          [46]         u16 b;
          [44]     } group;
               };
               struct {
                   struct list_head list;
                   unsigned long bitmap;
          [52] } lru_gen;
          [48] void (*function)(struct timer_list *);
          [56] unsigned int sched_reset_on_fork : 1;
          [56] unsigned int in_iowait : 1;
          [60] char comm[16];
          [76] struct hlist_node pid_links[4];
        }
        SIZE: 144

        """;

    [Fact]
    public void Parses_members_offsets_and_size()
    {
        var layout = CrashStructText.Parse(Sample).ShouldNotBeNull();
        layout.Name.ShouldBe("struct demo");
        layout.Size.ShouldBe(144);
        layout.Members.Select(m => (m.Name, m.Offset)).ShouldBe(
        [
            ("flags", 0), ("lru", 8), ("mapping", 24), ("callback_head", 8), ("futex", 32), ("futex.uaddr", 32),
            ("futex.expires", 40), ("a", 44), ("group", 44), ("group.a", 44), ("group.b", 46), ("lru_gen", 52), ("function", 48), ("sched_reset_on_fork", 56), ("in_iowait", 56), ("comm", 60),
            ("pid_links", 76),
        ]);
        layout.Members.ShouldAllBe(m => m.Size == null);
    }

    [Fact]
    public void Spells_types_without_the_member_name()
    {
        var layout = CrashStructText.Parse(Sample)!;
        layout.Member("flags")!.Type.ShouldBe("unsigned long");
        layout.Member("mapping")!.Type.ShouldBe("void *");
        layout.Member("function")!.Type.ShouldBe("void (*)(struct timer_list *)");
        layout.Member("comm")!.Type.ShouldBe("char[16]");
        layout.Member("pid_links")!.Type.ShouldBe("struct hlist_node[4]");
    }

    [Fact]
    public void Reads_bit_fields()
    {
        var layout = CrashStructText.Parse(Sample)!;
        var bit = layout.Member("in_iowait")!;
        bit.BitSize.ShouldBe(1);
        bit.BitPosition.ShouldBe(56 * 8);
        bit.Type.ShouldBe("unsigned int");
        layout.Member("flags")!.BitSize.ShouldBeNull();
    }

    [Fact]
    public void Reads_unions()
    {
        var layout = CrashStructText.Parse("union sigval {\n  [0] int sival_int;\n  [0] void *sival_ptr;\n}\nSIZE: 8\n").ShouldNotBeNull();
        layout.Name.ShouldBe("union sigval");
        layout.Size.ShouldBe(8);
        layout.Members.Select(m => m.Name).ShouldBe(["sival_int", "sival_ptr"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("struct: invalid data structure reference: module_memory\n")]
    [InlineData("   <segmentation violation in gdb>\n")]
    [InlineData("struct demo {\n   [0] int a;\n}\n")]
    public void Returns_null_when_crash_printed_no_layout(string? output) =>
        CrashStructText.Parse(output).ShouldBeNull();
}
