using System.Text;
using Kdx.Commands.Kernel;
using Kdx.Core.Linux;
using Kdx.Core.Linux.Printk;
using Kdx.Core.Types;
using Kdx.Tests.Model;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Commands;

public sealed class LogCommandTests
{
    private static readonly PrintkRecord Sample = new()
    {
        TimestampNanoseconds = 12_345_678_901,
        Level = 4,
        CallerId = 198,
        Text = Encoding.Latin1.GetBytes("first line\nsecond\tline \u0001\u00ff"),
        Subsystem = "pci",
        Device = "+pci:0000:00:01.0",
    };

    private static string Format(PrintkRecord record, LogStyle style)
    {
        var sb = new StringBuilder();
        LogCommand.Format(record, style, sb);
        return sb.ToString();
    }

    [Fact]
    public void Plain_records_get_crash_s_time_stamp_and_continuation_lines_are_indented_under_the_text()
    {
        Format(Sample, new LogStyle()).ShouldBe("[   12.345678] first line\n               second\tline ..");
    }

    [Fact]
    public void Large_times_widen_the_stamp()
    {
        Format(Sample with { TimestampNanoseconds = 123_456_000_000_000 }, new LogStyle()).ShouldStartWith("[123456.000000] ");
    }

    [Fact]
    public void Without_time_stamps_nothing_precedes_the_text()
    {
        Format(Sample, new LogStyle { Timestamps = false }).ShouldBe("first line\nsecond\tline ..");
    }

    [Fact]
    public void The_level_follows_the_stamp_in_hexadecimal_and_widens_the_indent()
    {
        Format(Sample with { Level = 7 }, new LogStyle { Level = true }).ShouldBe("[   12.345678] <7>first line\n                  second\tline ..");
    }

    [Fact]
    public void The_dictionary_follows_the_text_at_the_same_indent()
    {
        Format(Sample, new LogStyle { Timestamps = false, Level = true, Dictionary = true })
            .ShouldBe("<4>first line\n   second\tline ..\n   SUBSYSTEM=pci\n   DEVICE=+pci:0000:00:01.0");
    }

    [Theory]
    [InlineData(198U, 6, "[  T198] ")]
    [InlineData(0x80000001U, 7, "[     C1] ")]
    [InlineData(4194304U, 8, "[T4194304] ")]
    public void The_caller_is_a_task_or_a_cpu_in_a_column_as_wide_as_pid_max_needs(uint caller, int width, string expected)
    {
        Format(Sample with { CallerId = caller }, new LogStyle { Timestamps = false, Caller = true, CallerWidth = width }).ShouldStartWith(expected + "first line");
    }

    [Fact]
    public void Wall_clock_stamps_are_the_boot_time_plus_the_whole_seconds()
    {
        var style = new LogStyle { WallClock = true, BootSeconds = 1_795_555_886 };

        Format(Sample, style).ShouldStartWith("[Tue Nov 24 21:31:38 UTC 2026] first line\n                               second");
    }

    [Fact]
    public void A_record_without_text_is_an_empty_line()
    {
        Format(Sample with { HasText = false }, new LogStyle { Level = true }).ShouldBe(string.Empty);
    }

    [Theory]
    [InlineData(0L, "Thu Jan  1 00:00:00 UTC 1970")]
    [InlineData(1_795_555_886L, "Tue Nov 24 21:31:26 UTC 2026")]
    public void Dates_are_printed_like_crash(long seconds, string expected) => KernelClock.Format(seconds).ShouldBe(expected);

    [Fact]
    public void Hz_comes_from_tick_nsec_and_uptime_from_jiffies_64_less_initial_jiffies()
    {
        var p = new TestProgram();
        p.Symbol("tick_nsec", TestProgram.Base + 0x100);
        p.Symbol("jiffies_64", TestProgram.Base + 0x108);
        p.Write(TestProgram.Base + 0x100, 3_999_996);
        // INITIAL_JIFFIES for HZ 250 is (u32)-75000 = 0xfffedb08; 2500 jiffies later is 10 s of uptime.
        p.Write(TestProgram.Base + 0x108, 0xfffedb08UL + 2500);

        KernelClock.TryGetHz(p).ShouldBe(250);
        KernelClock.TryGetUptimeSeconds(p).ShouldBe(10UL);
    }

    [Fact]
    public void Without_tick_nsec_there_is_no_uptime()
    {
        var p = new TestProgram();
        p.Symbol("jiffies_64", TestProgram.Base + 0x108);

        KernelClock.TryGetHz(p).ShouldBeNull();
        KernelClock.TryGetUptimeSeconds(p).ShouldBeNull();
        KernelClock.TryGetBootSeconds(p).ShouldBeNull();
    }
}

public sealed class AuditLogTests
{
    private const ulong Queue = TestProgram.Base + 0x100;

    private static TestProgram Kernel(int records, bool cyclic = false)
    {
        var p = new TestProgram();
        var skb = KType.Struct("sk_buff", 64, () =>
            [new KMember("next", KType.Pointer(p.ULong), 0), new KMember("len", p.UInt, 128), new KMember("data", KType.Pointer(p.Char), 256)]);
        var head = KType.Struct("sk_buff_head", 24, () =>
            [new KMember("next", KType.Pointer(skb), 0), new KMember("prev", KType.Pointer(skb), 64), new KMember("qlen", p.UInt, 128)]);
        p.AddType("struct sk_buff", skb);
        p.AddType("struct sk_buff_head", head);
        p.Symbol("audit_queue", Queue);
        p.Write(Queue + 16, (ulong)records, 4);
        ulong previous = Queue;
        for (int i = 0; i < records; i++)
        {
            ulong node = TestProgram.Base + 0x1000 + ((ulong)i * 0x100);
            ulong data = node + 0x80;
            string text = $"audit({i}): op=test";
            p.Write(previous, node);
            p.Write(node + 16, (ulong)(16 + text.Length + 1), 4);
            p.Write(node + 32, data);
            p.Write(data + 4, 1300 + (ulong)i, 2);
            p.WriteString(data + 16, text);
            previous = node;
        }

        p.Write(previous, cyclic ? TestProgram.Base + 0x1000 : Queue);
        return p;
    }

    [Fact]
    public void Queued_records_are_printed_with_their_netlink_type()
    {
        AuditLog.Lines(Kernel(2)).ShouldBe(["type=1300 audit(0): op=test", "type=1301 audit(1): op=test"]);
    }

    [Fact]
    public void Empty_queues_give_crash_s_message()
    {
        AuditLog.Lines(Kernel(0)).ShouldBe(["log: kernel audit log is empty"]);
    }

    [Fact]
    public void A_cyclic_queue_stops_after_qlen_records_with_a_message()
    {
        var lines = AuditLog.Lines(Kernel(2, cyclic: true)).ToList();

        lines.Count.ShouldBe(4);
        lines[^1].ShouldContain("more sk_buffs than its qlen 2");
    }

    [Fact]
    public void A_kernel_without_audit_says_so()
    {
        Should.Throw<Kdx.Core.KdxException>(() => AuditLog.Lines(new TestProgram()).ToList()).Message.ShouldContain("CONFIG_AUDIT");
    }
}
