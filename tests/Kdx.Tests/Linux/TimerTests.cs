using Kdx.Core;
using Kdx.Core.Linux.Timers;
using Kdx.Core.Types;
using Kdx.Tests.Model;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Linux;

/// <summary>
/// The timer wheel and hrtimer readers on a tiny kernel: two timer bases per CPU with 8 buckets each
/// (hlists of timer_list.entry), and an hrtimer clock base whose rbtree holds three timers.
/// </summary>
public sealed class TimerTests
{
    private const ulong Bases = TestProgram.Base + 0x1000;
    private const ulong Timers = TestProgram.Base + 0x4000;
    private const ulong HrBases = TestProgram.Base + 0x8000;
    private const ulong HrTimerAt = TestProgram.Base + 0xa000;
    private const int BaseSize = 0x100, Vectors = 0x40, Buckets = 8;

    private readonly TestProgram _p = new();

    public TimerTests()
    {
        var p = _p;
        var ptr = KType.Pointer(p.ULong);
        var hlistNode = KType.Struct("hlist_node", 16, () => [new KMember("next", ptr, 0), new KMember("pprev", ptr, 64)]);
        p.AddType("struct timer_list", KType.Struct("timer_list", 40, () =>
            [new KMember("entry", hlistNode, 0), new KMember("expires", p.ULong, 128), new KMember("function", ptr, 192)]));
        var timerBase = KType.Struct("timer_base", BaseSize, () =>
            [new KMember("clk", p.ULong, 0x10 * 8), new KMember("vectors", KType.Array(ptr, Buckets), Vectors * 8)]);
        p.AddType("struct timer_base", timerBase);
        p.Variable("timer_bases", KType.Array(timerBase, 2), Bases);
        p.Symbol("jiffies", TestProgram.Base + 0x10);
        p.Write(TestProgram.Base + 0x10, 1000);

        var rbNode = KType.Struct("rb_node", 24, () => [new KMember("__rb_parent_color", p.ULong, 0), new KMember("rb_right", ptr, 64), new KMember("rb_left", ptr, 128)]);
        var tqNode = KType.Struct("timerqueue_node", 32, () => [new KMember("node", rbNode, 0), new KMember("expires", p.Long, 192)]);
        p.AddType("struct hrtimer", KType.Struct("hrtimer", 64, () =>
            [new KMember("node", tqNode, 0), new KMember("_softexpires", p.Long, 256), new KMember("function", ptr, 320)]));
        var clockBase = KType.Struct("hrtimer_clock_base", 64, () =>
            [new KMember("active", ptr, 0x10 * 8), new KMember("get_time", ptr, 0x20 * 8), new KMember("offset", p.Long, 0x28 * 8)]);
        p.AddType("struct hrtimer_clock_base", clockBase);
        p.AddType("struct hrtimer_cpu_base", KType.Struct("hrtimer_cpu_base", 0x100, () => [new KMember("clock_base", KType.Array(clockBase, 2), 0x40 * 8)]));
        p.Symbol("hrtimer_bases", HrBases);
    }

    private static ulong TimerAt(int i) => Timers + ((ulong)i * 0x40);

    // Hangs the given timers on bucket b of base n of CPU 0, in this order.
    private void Bucket(int n, int b, params (int Timer, ulong Expires, ulong Function)[] timers)
    {
        ulong link = Bases + ((ulong)n * BaseSize) + Vectors + ((ulong)b * 8);
        foreach (var (i, expires, function) in timers)
        {
            _p.Write(link, TimerAt(i));
            _p.Write(TimerAt(i) + 16, expires);
            _p.Write(TimerAt(i) + 24, function);
            link = TimerAt(i);
        }

        _p.Write(link, 0);
    }

    [Fact]
    public void Timers_of_every_bucket_come_sorted_by_expiry_with_ties_in_bucket_order()
    {
        Bucket(0, 1, (0, 1500, 0xaa), (1, 1200, 0xbb));
        Bucket(0, 5, (2, 1200, 0xcc));
        Bucket(1, 0, (3, 999, 0xdd));
        var bases = TimerWheel.Read(_p, 0);
        bases.Select(b => b.Name).ShouldBe(["BASE_STD", "BASE_DEF"]);
        bases[0].Address.ShouldBe(Bases);
        bases[0].Timers.Select(t => (t.Address, t.Expires, t.Function, t.Bucket)).ShouldBe(
            [(TimerAt(1), 1200UL, 0xbbUL, 1), (TimerAt(2), 1200UL, 0xccUL, 5), (TimerAt(0), 1500UL, 0xaaUL, 1)]);
        bases[1].Timers.Single().Expires.ShouldBe(999UL);
        bases.SelectMany(b => b.Problems).ShouldBeEmpty();
        TimerWheel.ReadJiffies(_p).ShouldBe(1000UL);
    }

    [Fact]
    public void A_looping_bucket_is_reported_and_the_other_buckets_are_still_listed()
    {
        Bucket(0, 2, (0, 1100, 0xaa), (1, 1200, 0xbb));
        _p.Write(TimerAt(1), TimerAt(0)); // timer 1's next points back at timer 0
        Bucket(0, 3, (2, 1300, 0xcc));
        var b = TimerWheel.Read(_p, 0)[0];
        b.Timers.Select(t => t.Expires).ShouldBe([1300UL]);
        b.Problems.Single().ShouldContain("vectors[2]");
        b.Problems.Single().ShouldContain("loops");
    }

    [Fact]
    public void An_unreadable_timer_drops_its_bucket_only_and_says_where()
    {
        Bucket(0, 4, (0, 1100, 0xaa));
        _p.Write(TimerAt(0), 0xdead000000000000); // next points outside memory
        Bucket(1, 7, (1, 2000, 0xbb));
        var bases = TimerWheel.Read(_p, 0);
        bases[0].Timers.ShouldBeEmpty();
        bases[0].Problems.Single().ShouldContain("unreadable");
        bases[1].Timers.Single().Expires.ShouldBe(2000UL);
    }

    [Theory]
    [InlineData(3, new[] { "BASE_LOCAL", "BASE_GLOBAL", "BASE_DEF" })]
    [InlineData(2, new[] { "BASE_STD", "BASE_DEF" })]
    [InlineData(1, new[] { "BASE_STD" })]
    public void Base_names_follow_the_number_of_bases(int count, string[] names) => TimerWheel.BaseNames(count).ShouldBe(names);

    [Theory]
    [InlineData(1000UL, 1000UL, (1000 + 1) % 64)] // due now: level 0, rounded up one jiffy
    [InlineData(1062UL, 1000UL, (1062 + 1) % 64)] // last delta level 0 takes (62 < 63)
    [InlineData(1063UL, 1000UL, 64 + (((1063 >> 3) + 1) % 64))] // level 1 from LVL_START(1) = 63
    [InlineData(1000UL + 504UL, 1000UL, 128 + (((1504 >> 6) + 1) % 64))] // level 2 from LVL_START(2) = 504
    [InlineData(990UL, 1000UL, 1000 % 64)] // overdue (negative delta): the clock's own bucket
    public void The_bucket_of_an_expiry_is_the_kernel_s_calc_wheel_index(ulong expires, ulong clock, int bucket) =>
        TimerWheel.BucketFor(expires, clock, 9).ShouldBe(bucket);

    [Fact]
    public void An_expiry_beyond_the_wheel_is_capped_to_the_last_level()
    {
        // LVL_DEPTH 9: cutoff LVL_START(9) = 63 << 24; the timer is moved to clk + cutoff - LVL_GRAN(8).
        ulong clock = 5000, cutoff = 63UL << 24, gran = 1UL << 24;
        int bucket = TimerWheel.BucketFor(clock + (cutoff * 4), clock, 9);
        bucket.ShouldBe((8 * 64) + (int)((((clock + cutoff - gran) >> 24) + 1) % 64));
        TimerWheel.Level(bucket).ShouldBe(8);
        TimerWheel.Granularity(8).ShouldBe(gran);
    }

    // An rbtree of three hrtimers: root B with left A and right C (expiry order A < B < C).
    private void HrTree()
    {
        ulong a = HrTimerAt, b = HrTimerAt + 0x100, c = HrTimerAt + 0x200;
        ulong clockBase = HrBases + 0x40;
        _p.Write(clockBase + 0x10, b);
        _p.Write(clockBase + 0x20, 0xffffffff81000000);
        _p.Write(clockBase + 0x28, 7);
        foreach (var (t, left, right, expires) in new[] { (a, 0UL, 0UL, 100L), (b, a, c, 200L), (c, 0UL, 0UL, 300L) })
        {
            _p.Write(t + 8, right);
            _p.Write(t + 16, left);
            _p.Write(t + 24, (ulong)expires);
            _p.Write(t + 32, (ulong)(expires - 5));
            _p.Write(t + 40, 0xf00 + (ulong)expires);
        }
    }

    [Fact]
    public void Hrtimers_come_in_rbtree_order_with_soft_and_hard_expiry()
    {
        HrTree();
        var bases = HrTimers.Read(_p, 0);
        bases.Count.ShouldBe(2);
        bases[0].Address.ShouldBe(HrBases + 0x40);
        bases[0].GetTime.ShouldBe(0xffffffff81000000);
        bases[0].Offset.ShouldBe(7);
        bases[0].Timers.Select(t => (t.Expires, t.SoftExpires, t.Function)).ShouldBe([(100L, 95L, 0xf64UL), (200L, 195L, 0xfc8UL), (300L, 295L, 0x102cUL)]);
        bases[1].Timers.ShouldBeEmpty();
        bases[0].Problem.ShouldBeNull();
    }

    [Fact]
    public void A_cycle_in_the_hrtimer_tree_is_reported_after_the_timers_before_it()
    {
        HrTree();
        _p.Write(HrTimerAt + 0x200 + 8, HrTimerAt + 0x100); // C's right child is B again
        var b = HrTimers.Read(_p, 0)[0];
        b.Timers.Select(t => t.Expires).ShouldBe([100L, 200L, 300L]);
        b.Problem.ShouldNotBeNull().ShouldContain("cycle");
    }

    [Fact]
    public void Without_timer_bases_the_reader_says_so()
    {
        var p = new TestProgram();
        p.AddType("struct timer_base", KType.Struct("timer_base", 8, () => [new KMember("vectors", KType.Array(p.ULong, 1), 0)]));
        p.AddType("struct timer_list", KType.Struct("timer_list", 8, () => [new KMember("entry", p.ULong, 0), new KMember("expires", p.ULong, 0), new KMember("function", p.ULong, 0)]));
        Should.Throw<KdxException>(() => TimerWheel.Read(p, 0)).Message.ShouldContain("timer_bases");
    }
}
