using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux.Timers;

/// <summary>One queued <c>struct hrtimer</c>.</summary>
/// <param name="Address">The hrtimer.</param>
/// <param name="SoftExpires">Its <c>_softexpires</c> in ns (the earliest it may fire).</param>
/// <param name="Expires">Its <c>node.expires</c> in ns (the latest).</param>
/// <param name="Function">Its callback.</param>
public sealed record HrTimer(ulong Address, long SoftExpires, long Expires, ulong Function);

/// <summary>One clock base of a CPU's <c>hrtimer_cpu_base</c> and its timers in expiry order.</summary>
/// <param name="Index">The clock base's index (HRTIMER_BASE_MONOTONIC …).</param>
/// <param name="Address">The struct hrtimer_clock_base.</param>
/// <param name="GetTime">Its <c>get_time</c> function (ktime_get, ktime_get_real …), 0 when the kernel has none.</param>
/// <param name="Offset">Its <c>offset</c> from the monotonic clock in ns.</param>
/// <param name="Timers">The queued timers, earliest first.</param>
/// <param name="Problem">Why the queue could not be walked completely, or null.</param>
public sealed record HrTimerClockBase(int Index, ulong Address, ulong GetTime, long Offset, IReadOnlyList<HrTimer> Timers, string? Problem);

/// <summary>
/// High-resolution timers (kernel/time/hrtimer.c): per CPU <c>hrtimer_bases</c>, a <c>struct hrtimer_cpu_base</c>
/// with <c>clock_base[HRTIMER_MAX_CLOCK_BASES]</c>; each clock base keeps its timers in a timerqueue, an rbtree
/// ordered by expiry (<c>active.rb_root</c>) whose nodes are <c>hrtimer.node.node</c>.
/// </summary>
public static class HrTimers
{
    /// <summary>The address of <paramref name="cpu"/>'s hrtimer_cpu_base.</summary>
    public static ulong CpuBase(IProgram program, int cpu)
    {
        ArgumentNullException.ThrowIfNull(program);
        return program.Symbols.TryGetAddress("hrtimer_bases", out ulong at)
            ? program.PerCpuAddress(at, cpu)
            : throw new KdxException("no symbol hrtimer_bases");
    }

    /// <summary>Every clock base of <paramref name="cpu"/> with its timers.</summary>
    public static IReadOnlyList<HrTimerClockBase> Read(IProgram program, int cpu, WalkLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        limits ??= WalkLimits.Default;
        var cpuBase = StructLayout.Find(program.Types, "hrtimer_cpu_base");
        var clockBase = StructLayout.Find(program.Types, "hrtimer_clock_base");
        var timer = StructLayout.Find(program.Types, "hrtimer");
        ulong at = CpuBase(program, cpu) + (ulong)cpuBase.Offset("clock_base");
        int count = clockBase.Size == 0 ? 0 : cpuBase.SizeOf("clock_base") / clockBase.Size;
        int root = clockBase.Offset("active");
        int? getTime = clockBase.TryOffset("get_time");
        int? offset = clockBase.TryOffset("offset");

        // timerqueue_node { struct rb_node node; ktime_t expires; } is the hrtimer's first member.
        int node = timer.Offset("node");
        int expires = timer.Offset("node.expires");
        int soft = timer.Offset("_softexpires");
        int function = timer.Offset("function");
        var result = new List<HrTimerClockBase>(count);
        for (int i = 0; i < count; i++)
        {
            ulong b = at + ((ulong)i * (ulong)clockBase.Size);
            ulong get = getTime is int g && program.Memory.TryReadUInt64(b + (ulong)g, out ulong gv) ? gv : 0;
            long off = offset is int o && program.Memory.TryReadUInt64(b + (ulong)o, out ulong ov) ? (long)ov : 0;
            var timers = new List<HrTimer>();
            string? problem = null;
            try
            {
                foreach (ulong n in RbNodes(program, b + (ulong)root, limits))
                {
                    ulong t = n - (ulong)node;
                    long e = program.Memory.TryReadUInt64(t + (ulong)expires, out ulong ev) ? (long)ev : 0;
                    long s = program.Memory.TryReadUInt64(t + (ulong)soft, out ulong sv) ? (long)sv : 0;
                    ulong f = program.Memory.TryReadUInt64(t + (ulong)function, out ulong fv) ? fv : 0;
                    timers.Add(new HrTimer(t, s, e, f));
                }
            }
            catch (KdxException e)
            {
                problem = e.Message;
            }

            result.Add(new HrTimerClockBase(i, b, get, off, timers, problem));
        }

        return result;
    }

    /// <summary>
    /// The monotonic time crash shows as CURRENT: the uptime in jiffies (jiffies_64 less INITIAL_JIFFIES)
    /// times the tick length, plus the clock base's offset. It is the last tick, not the exact moment.
    /// </summary>
    public static long ApproximateNow(IProgram program, int hz, long offset)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (hz <= 0 || !program.Symbols.TryGetAddress("jiffies_64", out ulong at) || !program.Memory.TryReadUInt64(at, out ulong j64))
        {
            return offset;
        }

        // include/linux/jiffies.h: INITIAL_JIFFIES = (unsigned long)(unsigned int)(-300 * HZ).
        ulong initial = unchecked((uint)(-300 * hz));
        return unchecked((long)((j64 - initial) * (ulong)(1_000_000_000 / hz)) + offset);
    }

    // The rb_nodes of an rb_root in order, with raw reads (rb_node: __rb_parent_color, rb_right, rb_left).
    private static IEnumerable<ulong> RbNodes(IProgram program, ulong root, WalkLimits limits)
    {
        var stack = new Stack<ulong>();
        var seen = new HashSet<ulong>();
        ulong node = Read(program, root, root, "rb_root");
        while (node != 0 || stack.Count > 0)
        {
            while (node != 0)
            {
                if (!seen.Add(node))
                {
                    throw new CorruptStructureException($"rb_root at {root:x}", node, "node reached twice (a cycle)");
                }

                if (stack.Count >= limits.MaxDepth || seen.Count > limits.MaxEntries)
                {
                    throw new CorruptStructureException($"rb_root at {root:x}", node, "too deep or too many nodes");
                }

                stack.Push(node);
                node = Read(program, node + 16, root, "rb_node.rb_left");
            }

            node = stack.Pop();
            yield return node;
            node = Read(program, node + 8, root, "rb_node.rb_right");
        }
    }

    private static ulong Read(IProgram program, ulong at, ulong root, string what) =>
        program.Memory.TryReadUInt64(at, out ulong v) ? v : throw new CorruptStructureException($"rb_root at {root:x}", at, $"{what} unreadable");
}
