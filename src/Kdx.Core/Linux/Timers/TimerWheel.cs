using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux.Timers;

/// <summary>One pending <c>struct timer_list</c> on a timer wheel.</summary>
/// <param name="Address">The timer_list.</param>
/// <param name="Expires">Its <c>expires</c>, in jiffies.</param>
/// <param name="Function">Its callback.</param>
/// <param name="Bucket">The wheel bucket (timer_base.vectors[] index) it hangs on.</param>
public sealed record WheelTimer(ulong Address, ulong Expires, ulong Function, int Bucket)
{
    /// <summary>The wheel level of the bucket (<see cref="TimerWheel.Level"/>).</summary>
    public int Level => TimerWheel.Level(Bucket);
}

/// <summary>One CPU's timer base (<c>timer_bases[base]</c>) and its pending timers in expiry order.</summary>
/// <param name="Cpu">The CPU.</param>
/// <param name="Index">The base's index in timer_bases[].</param>
/// <param name="Name">The kernel's name of the base (BASE_STD, BASE_DEF, BASE_LOCAL, BASE_GLOBAL).</param>
/// <param name="Address">The struct timer_base.</param>
/// <param name="Clock">Its <c>clk</c>: the jiffy the wheel has processed up to.</param>
/// <param name="Timers">The pending timers, sorted by expiry (ties in bucket order).</param>
/// <param name="Problems">Buckets that could not be walked; the other buckets are still listed.</param>
public sealed record TimerWheelBase(int Cpu, int Index, string Name, ulong Address, ulong Clock, IReadOnlyList<WheelTimer> Timers, IReadOnlyList<string> Problems);

/// <summary>
/// The timer wheel of kernel/time/timer.c (Linux 4.8, commit 500462a9de65 "timers: Switch to a non-cascading
/// wheel"): per CPU an array <c>timer_bases[NR_BASES]</c> of <c>struct timer_base</c>, each with
/// LVL_DEPTH levels of 64 buckets (<c>vectors[]</c>, hlists of <c>timer_list.entry</c>); level n has a
/// granularity of 8^n jiffies.
/// </summary>
public static class TimerWheel
{
    /// <summary>Buckets per level (LVL_SIZE = 1 &lt;&lt; LVL_BITS, LVL_BITS = 6).</summary>
    public const int LevelSize = 64;

    /// <summary>LVL_CLK_SHIFT: each level is 8 times coarser than the one below.</summary>
    public const int LevelClockShift = 3;

    /// <summary>The wheel level of bucket <paramref name="bucket"/>.</summary>
    public static int Level(int bucket) => bucket / LevelSize;

    /// <summary>The granularity of a level in jiffies (LVL_GRAN(n) = 1 &lt;&lt; (n * LVL_CLK_SHIFT)).</summary>
    public static ulong Granularity(int level) => 1UL << (level * LevelClockShift);

    /// <summary>
    /// The bucket a timer expiring at <paramref name="expires"/> is queued on when the base's clock is
    /// <paramref name="clock"/> (the kernel's calc_wheel_index, v5.10 and later: the expiry is rounded up to
    /// the level's granularity, level 0 included), for a wheel of <paramref name="depth"/> levels. A timer
    /// beyond the wheel's range is capped to the wheel's last slot; one already due goes to the clock's bucket.
    /// </summary>
    public static int BucketFor(ulong expires, ulong clock, int depth)
    {
        ulong delta = unchecked(expires - clock);
        for (int level = 0; level < depth; level++)
        {
            // LVL_START(level + 1): the first delta too far away for this level.
            if (delta < (LevelSize - 1UL) << (level * LevelClockShift))
            {
                return Index(expires, level);
            }
        }

        if ((long)delta < 0)
        {
            return (int)(clock & (LevelSize - 1));
        }

        // WHEEL_TIMEOUT_CUTOFF = LVL_START(depth); WHEEL_TIMEOUT_MAX = cutoff - LVL_GRAN(depth - 1).
        ulong cutoff = (LevelSize - 1UL) << ((depth - 1) * LevelClockShift);
        ulong at = delta >= cutoff ? clock + cutoff - Granularity(depth - 1) : expires;
        return Index(at, depth - 1);
    }

    private static int Index(ulong expires, int level) =>
        (level * LevelSize) + (int)(((expires >> (level * LevelClockShift)) + 1) & (LevelSize - 1));

    /// <summary>The kernel's names of the bases for a timer_bases[] of <paramref name="count"/> entries.</summary>
    public static IReadOnlyList<string> BaseNames(int count) => count switch
    {
        // Linux 6.9 (kernel/time/timer.c, timer migration hierarchy): pinned timers on BASE_LOCAL, others on BASE_GLOBAL.
        3 => ["BASE_LOCAL", "BASE_GLOBAL", "BASE_DEF"],
        2 => ["BASE_STD", "BASE_DEF"],
        _ => Enumerable.Range(0, count).Select(i => i == 0 ? "BASE_STD" : $"BASE_{i}").ToList(),
    };

    /// <summary>The jiffies counter (the low word of jiffies_64).</summary>
    public static ulong ReadJiffies(IProgram program)
    {
        if (!program.Symbols.TryGetAddress("jiffies", out ulong at) && !program.Symbols.TryGetAddress("jiffies_64", out at))
        {
            throw new KdxException("no symbol jiffies");
        }

        return program.Memory.ReadUInt64(at, "jiffies");
    }

    /// <summary>How many bases each CPU's timer_bases[] has: from its type, else its symbol size, else 1.</summary>
    public static int BaseCount(IProgram program, StructLayout timerBase)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(timerBase);
        if (program.Types.FindVariableType("timer_bases") is { } t && t.Type.Unaliased() is { Kind: TypeKind.Array, Length: ulong n } && n is > 0 and <= 8)
        {
            return (int)n;
        }

        if (program.Symbols.TryGetSymbol("timer_bases", out var s) && s.Size >= (ulong)timerBase.Size && timerBase.Size > 0)
        {
            return (int)Math.Min(s.Size / (ulong)timerBase.Size, 8);
        }

        return 1;
    }

    /// <summary>Every timer base of <paramref name="cpu"/> with its pending timers.</summary>
    public static IReadOnlyList<TimerWheelBase> Read(IProgram program, int cpu, WalkLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        limits ??= WalkLimits.Default;
        var baseLayout = StructLayout.Find(program.Types, "timer_base");
        var timer = StructLayout.Find(program.Types, "timer_list");
        if (!program.Symbols.TryGetAddress("timer_bases", out ulong bases))
        {
            throw new KdxException("no symbol timer_bases (a kernel older than 4.8 has no timer wheel bases)");
        }

        int vectorsAt = baseLayout.Offset("vectors");
        int buckets = baseLayout.SizeOf("vectors") / 8;
        int count = BaseCount(program, baseLayout);
        var names = BaseNames(count);
        var result = new List<TimerWheelBase>(count);
        for (int b = 0; b < count; b++)
        {
            ulong at = program.PerCpuAddress(bases, cpu) + ((ulong)b * (ulong)baseLayout.Size);
            var problems = new List<string>();
            ulong clock = program.Memory.TryReadUInt64(at + (ulong)baseLayout.Offset("clk"), out ulong c) ? c : 0;
            var timers = new List<WheelTimer>();
            for (int i = 0; i < buckets; i++)
            {
                ulong head = at + (ulong)vectorsAt + ((ulong)i * 8);
                Bucket(program, timer, head, i, limits, timers, problems);
            }

            // A stable sort keeps equal expiries in bucket order, as crash lists them.
            var sorted = timers.OrderBy(t => t.Expires).ToList();
            result.Add(new TimerWheelBase(cpu, b, names[b], at, clock, sorted, problems));
        }

        return result;
    }

    // One bucket: an hlist of timer_list.entry (the hlist_node is the timer's first member in every kernel since 4.8).
    private static void Bucket(IProgram program, StructLayout timer, ulong head, int bucket, WalkLimits limits, List<WheelTimer> timers, List<string> problems)
    {
        if (!program.Memory.TryReadUInt64(head, out ulong node))
        {
            problems.Add($"timer_base.vectors[{bucket}] at {head:x}: unreadable");
            return;
        }

        int entry = timer.Offset("entry");
        int expires = timer.Offset("expires");
        int function = timer.Offset("function");
        var seen = new HashSet<ulong>();
        var found = new List<WheelTimer>();
        while (node != 0)
        {
            ulong t = node - (ulong)entry;
            if (!seen.Add(node) || seen.Count > limits.MaxEntries)
            {
                problems.Add($"timer_base.vectors[{bucket}] at {head:x}: the chain loops at {node:x}; bucket ignored");
                return;
            }

            if (!program.Memory.TryReadUInt64(t + (ulong)expires, out ulong e) || !program.Memory.TryReadUInt64(t + (ulong)function, out ulong f)
                || !program.Memory.TryReadUInt64(node, out ulong next))
            {
                // crash ignores a chain with errors; so does Kdx, and it says so.
                problems.Add($"timer_base.vectors[{bucket}] at {head:x}: timer_list at {t:x} unreadable; bucket ignored");
                return;
            }

            found.Add(new WheelTimer(t, e, f, bucket));
            node = next;
        }

        timers.AddRange(found);
    }
}
