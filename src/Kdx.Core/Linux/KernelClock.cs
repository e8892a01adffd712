using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux;

/// <summary>
/// The crashed kernel's clocks: its tick rate (HZ), its uptime in jiffies, and the wall-clock time it
/// kept (the timekeeper's xtime). crash prints dates from these; so does Kdx.
/// </summary>
public static class KernelClock
{
    /// <summary>
    /// CONFIG_HZ, found from <c>tick_nsec</c> (kernel/time/ntp.c: the length of a tick in ns, 10^9 / HZ
    /// give or take NTP's adjustment), so no configuration file is needed. Null when it cannot be read.
    /// </summary>
    public static int? TryGetHz(IProgram program)
    {
        if (!program.Symbols.TryGetAddress("tick_nsec", out ulong at) || !program.Memory.TryReadUInt64(at, out ulong tickNs) || tickNs == 0)
        {
            return null;
        }

        double hz = 1e9 / tickNs;
        int rounded = (int)Math.Round(hz);
        return rounded is > 0 and <= 10_000 ? rounded : null;
    }

    /// <summary>
    /// The uptime in whole seconds from <c>jiffies_64</c>, which starts at INITIAL_JIFFIES
    /// ((unsigned int)-300*HZ, include/linux/jiffies.h, so that jiffies wraps five minutes after boot).
    /// </summary>
    public static ulong? TryGetUptimeSeconds(IProgram program)
    {
        if (TryGetHz(program) is not int hz || !program.Symbols.TryGetAddress("jiffies_64", out ulong at) || !program.Memory.TryReadUInt64(at, out ulong j64))
        {
            return null;
        }

        ulong initial = unchecked((uint)(-300 * hz));
        return unchecked(j64 - initial) / (ulong)hz;
    }

    /// <summary>
    /// The wall-clock seconds the kernel kept when it stopped (tk_core.timekeeper.xtime_sec,
    /// kernel/time/timekeeping.c). With only BTF (no variable types) the timekeeper's place in tk_core is
    /// after its seqcount, rounded to 8 bytes.
    /// </summary>
    public static long? TryGetWallSeconds(IProgram program)
    {
        if (!program.Symbols.TryGetAddress("tk_core", out ulong tkCore))
        {
            return null;
        }

        ulong timekeeper;
        if (program.Types.FindVariableType("tk_core") is { } coreType && coreType.Type.TryFindMember("timekeeper", out _, out ulong bits))
        {
            timekeeper = tkCore + (bits / 8);
        }
        else if (program.Types.FindType("seqcount_raw_spinlock_t") is { } seq)
        {
            timekeeper = tkCore + ((seq.Unaliased().Size + 7) & ~7UL);
        }
        else
        {
            return null;
        }

        var tk = program.Types.FindType("timekeeper", TypeKind.Struct);
        if (tk is null || !tk.TryFindMember("xtime_sec", out _, out ulong xtimeBits))
        {
            return null;
        }

        return program.Memory.TryReadUInt64(timekeeper + (xtimeBits / 8), out ulong sec) ? (long)sec : null;
    }

    /// <summary>The boot time in wall-clock seconds (crash's boot_date: xtime minus the jiffies uptime).</summary>
    public static long? TryGetBootSeconds(IProgram program) =>
        TryGetWallSeconds(program) is long now && TryGetUptimeSeconds(program) is ulong up ? now - (long)up : null;

    /// <summary>A date as crash prints it ("Tue Nov 24 21:31:26 UTC 2026"), always in UTC.</summary>
    public static string Format(long unixSeconds)
    {
        var t = DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime;
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return $"{t.ToString("ddd MMM", c)} {t.Day,2} {t.ToString("HH:mm:ss", c)} UTC {t.Year}";
    }
}
