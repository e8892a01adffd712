using System.Globalization;
using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux;
using Kdx.Core.Linux.Timers;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Commands.Timers;

/// <summary><c>timer</c>: the pending timer-wheel timers per CPU and base, or with -r the hrtimers per clock base.</summary>
public sealed class TimerCommand : Command
{
    private static readonly OptionParser Options = new("timer", "r", "C");

    /// <inheritdoc/>
    public override string Name => "timer";

    /// <inheritdoc/>
    public override string Summary => "timer queue data";

    /// <inheritdoc/>
    public override string Usage => "timer [-r] [-C cpu[s]]";

    /// <inheritdoc/>
    public override string Help => """
        Shows the timers that were waiting to fire when the kernel stopped.

        Without options: the jiffies counter, then for every CPU each timer wheel base
        (timer_bases[cpu][BASE_STD], [BASE_DEF], or on 6.9+ BASE_LOCAL, BASE_GLOBAL, BASE_DEF)
        with its pending timer_lists, earliest first:
          EXPIRES     the jiffy it is due;   TTE  jiffies left (negative: overdue);
          TIMER_LIST  the struct timer_list; FUNCTION its callback.

          -r        the high-resolution timers instead: per CPU its hrtimer_cpu_base, per clock
                    base (monotonic, realtime, boottime, tai, and their soft variants) the queued
                    hrtimers with their soft and hard expiry in ns, the time left, and the callback.
                    CURRENT is the clock's time at the last tick, which TTE counts from.
          -C cpus   only these CPUs ("1", "0,2", "0-3").

        Examples:
          kdx> timer
          kdx> timer -r -C 0
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var o = Options.Parse(args);
        if (o.Positionals.Count > 0)
        {
            throw new CommandException($"timer: unexpected argument: {o.Positionals[0]}");
        }

        var program = context.Session.Program;
        var cpus = o.Value("C") is { } spec ? CpuSpec.Parse(spec, program.CpuCount) : Enumerable.Range(0, program.CpuCount).ToList();
        var names = new CodeAddressText(program);
        if (o.Has("r"))
        {
            HighResolution(context, program, cpus, names);
        }
        else
        {
            Wheel(context, program, cpus, names);
        }
    }

    private static void Wheel(CommandContext context, KernelProgram program, IReadOnlyList<int> cpus, CodeAddressText names)
    {
        var ci = CultureInfo.InvariantCulture;
        ulong jiffies = TimerWheel.ReadJiffies(program);
        string j = jiffies.ToString(ci);
        int flen = Math.Max(j.Length, "JIFFIES".Length);
        context.WriteLine("JIFFIES".PadRight(flen));
        context.WriteLine(j.PadLeft(flen));
        context.WriteLine(string.Empty);
        bool first = true;
        foreach (int cpu in cpus)
        {
            if (!first)
            {
                context.WriteLine(string.Empty);
            }

            first = false;
            foreach (var b in TimerWheel.Read(program, cpu))
            {
                context.WriteLine(string.Create(ci, $"TIMER_BASES[{cpu}][{b.Name}]: {b.Address:x}"));
                long highest = b.Timers.Count == 0 ? 0 : b.Timers.Max(t => Math.Abs(Tte(t, jiffies)));
                int tlen = Math.Max(highest.ToString(ci).Length + 1, 3); // room for a minus sign
                context.WriteLine($"  {"EXPIRES".PadRight(flen)}     {"TTE".PadRight(tlen)}     TIMER_LIST     FUNCTION");
                foreach (var t in b.Timers)
                {
                    string function = Callback(program, names, t.Function);
                    context.WriteLine(string.Create(ci,
                        $"  {t.Expires.ToString(ci).PadLeft(flen)}  {Tte(t, jiffies).ToString(ci).PadLeft(tlen)}  {CrashColumns.Center(t.Address.ToString("x", ci), 16)}  {t.Function,16:x}  <{function}>"));
                }

                if (b.Timers.Count == 0)
                {
                    context.WriteLine("  (none)");
                }

                foreach (var p in b.Problems)
                {
                    context.WriteLine($"timer: {p}");
                }
            }
        }
    }

    private static long Tte(WheelTimer t, ulong jiffies) => unchecked((long)(t.Expires - jiffies));

    // A callback that is not code may be a pointer to one (crash follows it once to name it).
    private static string Callback(KernelProgram program, CodeAddressText names, ulong function)
    {
        if (!names.IsText(function) && program.Kernel.TryReadUInt64(function, out ulong target) && names.IsText(target))
        {
            return names.Describe(target);
        }

        return names.Describe(function);
    }

    private static void HighResolution(CommandContext context, KernelProgram program, IReadOnlyList<int> cpus, CodeAddressText names)
    {
        var ci = CultureInfo.InvariantCulture;
        int hz = KernelClock.TryGetHz(program) ?? throw new CommandException("timer: cannot determine HZ (no tick_nsec)");
        bool first = true;
        foreach (int cpu in cpus)
        {
            if (!first)
            {
                context.WriteLine(string.Empty);
            }

            first = false;
            context.WriteLine(string.Create(ci, $"CPU: {cpu}  HRTIMER_CPU_BASE: {HrTimers.CpuBase(program, cpu):x}"));
            var bases = HrTimers.Read(program, cpu);
            foreach (var b in bases)
            {
                if (b.Index > 0)
                {
                    context.WriteLine(string.Empty);
                }

                context.WriteLine(string.Create(ci, $"  CLOCK: {b.Index}  HRTIMER_CLOCK_BASE: {b.Address:x}  [{names.Describe(b.GetTime)}]"));
                ClockBase(context, b, HrTimers.ApproximateNow(program, hz, b.Offset), names);
            }
        }
    }

    private static void ClockBase(CommandContext context, HrTimerClockBase b, long now, CodeAddressText names)
    {
        var ci = CultureInfo.InvariantCulture;
        if (b.Timers.Count == 0)
        {
            context.WriteLine("  (empty)");
        }
        else
        {
            // crash sizes the columns from the last (latest) timer.
            var last = b.Timers[^1];
            int softLen = Math.Max(last.SoftExpires.ToString(ci).Length, 11);
            int expLen = Math.Max(last.Expires.ToString(ci).Length, 7);
            int tteLen = (last.Expires - now).ToString(ci).Length;
            context.WriteLine($"  {CrashColumns.Center("CURRENT", softLen, leanRight: true)}");
            context.WriteLine($"  {CrashColumns.Center(now.ToString(ci), softLen, leanRight: true)}");
            context.WriteLine($"  {CrashColumns.Center("SOFTEXPIRES", softLen, leanRight: true)}  {CrashColumns.Center("EXPIRES", expLen, leanRight: true)}  {CrashColumns.Center("TTE", tteLen, leanRight: true)}  {CrashColumns.Center("HRTIMER", 16)}  {CrashColumns.Center("FUNCTION", 16)}");
            foreach (var t in b.Timers)
            {
                context.WriteLine(string.Create(ci,
                    $"  {CrashColumns.Center(t.SoftExpires.ToString(ci), softLen, leanRight: true)}  {CrashColumns.Center(t.Expires.ToString(ci), expLen, leanRight: true)}  {(t.Expires - now).ToString(ci).PadLeft(tteLen)}  {t.Address:x}  {t.Function:x}  <{names.Describe(t.Function)}>"));
            }
        }

        if (b.Problem is not null)
        {
            context.WriteLine($"timer: {b.Problem}");
        }
    }
}
