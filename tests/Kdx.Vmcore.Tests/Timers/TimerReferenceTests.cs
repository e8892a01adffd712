using System.Globalization;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Timers;

/// <summary>
/// <c>timer</c> on real dumps. On 6.1 crash 8.0.2 answers every timer command, and Kdx's output must be the
/// same text on each format of the state family. On 6.12 crash counts one CPU (so lists CPU 0 only, whose lines
/// are compared) and crash's gdb dies on most of them; where it answered
/// <c>timer -r</c> its CURRENT (and so every TTE) is 15.6 times too far on: it takes HZ as 1000 on that
/// kernel (INITIAL_JIFFIES then differs: (2^32 - 300*1000) instead of (2^32 - 300*250)), while the kernel's
/// tick_nsec says 250. There the test compares every column but CURRENT and TTE. On every run the planted
/// vmlab_timer (drgn's ground truth: address, expiry, vmlab_timer_fn) is pending on some CPU's wheel.
/// </summary>
public sealed class TimerReferenceTests
{
    private static readonly string[] Commands = ["timer", "timer -C 1", "timer -r", "timer -r -C 0"];

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Timer_commands_match_crash_where_crash_answered(string runId)
    {
        var run = CiRuns.Get(runId);
        var (compared, failures) = StateReference.CompareWithCrash(run, Commands, (_, _, expected, actual) =>
        {
            if (StateReference.IsSix1(run))
            {
                return (expected, actual);
            }

            (expected, actual) = (WithoutClockColumns(expected), WithoutClockColumns(actual));

            // crash counts one CPU on 6.12 (CPUS: 1 in its mach), so it lists CPU 0 only: its lines come first.
            actual = string.Join('\n', StateReference.Lines(actual).Take(StateReference.Lines(expected).Length));
            return (string.Join('\n', StateReference.Lines(expected)), actual);
        });

        // every timer command on every state format of 6.1 (where the test bed has made the family for this run)
        compared.ShouldBeGreaterThanOrEqualTo(StateReference.IsSix1(run) ? 4 * StateReference.Formats(run) : 0);
        failures.ShouldBeEmpty(string.Join("\n", failures));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_planted_vmlab_timer_is_pending_with_its_expiry_and_function_on_every_state_format(string runId)
    {
        var run = CiRuns.Get(runId);
        var timer = run.LoadTruth().ShouldNotBeNull().Vmlab.ShouldNotBeNull().Timer;
        timer.Pending.ShouldBeTrue();
        foreach (var format in ReferenceFamilies.StateFormats)
        {
            using var kdx = KdxSession.Open(run, format);
            var lines = StateReference.Lines(kdx.Run("timer"));
            ulong jiffies = ulong.Parse(lines[1].Trim(), CultureInfo.InvariantCulture);
            if (CiRuns.InGuestFormats.Contains(format))
            {
                jiffies.ShouldBe(timer.Jiffies, $"{format}: drgn read jiffies from the in-guest ELF dump of the same crash");
            }

            var line = lines.SingleOrDefault(l => l.Contains($" {timer.Address:x} ", StringComparison.Ordinal));
            line.ShouldNotBeNull($"{run} {format}: vmlab_timer at {timer.Address:x} is not listed");
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            words[0].ShouldBe(timer.Expires.ToString(CultureInfo.InvariantCulture));
            long.Parse(words[1], CultureInfo.InvariantCulture).ShouldBe((long)(timer.Expires - jiffies));
            words[^1].ShouldBe($"<{timer.Function.ShouldNotBeNull().Replace("+0x0", string.Empty, StringComparison.Ordinal)}>");
        }
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_in_guest_formats_of_one_crash_give_the_same_timers(string runId)
    {
        // The ELF and -d 31 kdump dumps are the same /proc/vmcore: a timer lost on one would be a reading bug.
        var run = CiRuns.Get(runId);
        using var elf = KdxSession.Open(run, "elf");
        using var kdump = KdxSession.Open(run, "kdump-lzo");
        foreach (var command in Commands)
        {
            kdump.Run(command).ShouldBe(elf.Run(command), $"{run} {command}");
        }
    }

    // CURRENT and TTE depend on HZ, which crash gets wrong on 6.12: blank the CURRENT value and the TTE column
    // (and compare the header's words only, since the column is as wide as its values).
    private static string WithoutClockColumns(string output)
    {
        var lines = StateReference.Lines(output);
        for (int i = 0; i < lines.Length; i++)
        {
            if (i > 0 && lines[i - 1].Trim() == "CURRENT")
            {
                lines[i] = "  (current)";
            }

            var words = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length > 0 && words[0] == "SOFTEXPIRES")
            {
                lines[i] = string.Join(' ', words); // the TTE column's width follows the TTE values
            }

            if (words.Length == 6 && words[5].StartsWith('<') && long.TryParse(words[0], CultureInfo.InvariantCulture, out _))
            {
                lines[i] = $"{words[0]} {words[1]} {words[3]} {words[4]} {words[5]}";
            }
        }

        return string.Join('\n', lines);
    }
}
