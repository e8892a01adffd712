using System.Globalization;
using System.Text.RegularExpressions;
using Kdx.Vmcore.Tests.Memory;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Kernel;

/// <summary>
/// <c>log</c> on real dumps. Two references: crash 8.0.2's <c>log</c> where crash opened the dump (the 6.1
/// crashes), and makedumpfile's <c>--dump-dmesg</c> of the in-guest ELF dump (every crash, also 6.12, which
/// crash cannot open), which prints each record exactly as crash's plain <c>log</c> does. The options are
/// checked against the plain log: -t, -m and -d only add or remove parts of each record; -T shifts each time
/// stamp by the boot time crash's <c>sys</c> gives (DATE minus UPTIME); -c names the panicking task.
/// On the 6.12 dumps crash opens only some formats (with --kaslr auto --no_modules) and its gdb faults after
/// printing the log: the "&lt;segmentation violation in gdb&gt;" line it then appends is dropped, and where it
/// printed nothing else (the 6.12 oops crash) there is no crash answer to compare with.
/// </summary>
public sealed partial class LogReferenceTests
{
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Log_matches_crash_on_every_format_crash_opened(string runId)
    {
        var run = CiRuns.Get(runId);
        var failures = new List<string>();
        int compared = 0;
        foreach (var format in run.Formats.Values)
        {
            string? crash = format.LoadCrashReference() is { Opens: true } r ? r.Output("log") : null;
            if (crash is null)
            {
                continue;
            }

            using var kdx = KdxSession.Open(run, format.Name);
            string expected = crash.TrimEnd('\n');
            if (expected.EndsWith(GdbFault, StringComparison.Ordinal))
            {
                expected = expected[..^GdbFault.Length].TrimEnd('\n');
            }

            if (expected.Length == 0)
            {
                continue; // crash printed nothing but its fault (the 6.12 oops crash): the dmesg test covers it
            }

            string actual = kdx.Run("log").TrimEnd('\n');
            if (expected != actual)
            {
                failures.Add(MemoryReferenceTests.Difference($"{run} {format}: log", expected, actual));
            }

            compared++;
        }

        // crash opens all eleven formats of the 6.1 crashes and some of the 6.12 ones.
        compared.ShouldBeGreaterThanOrEqualTo(run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) ? 11 : 0);

        failures.ShouldBeEmpty(MemoryReferenceTests.Report(failures));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Log_without_a_vmlinux_matches_makedumpfile_dump_dmesg_on_every_format(string runId)
    {
        var run = CiRuns.Get(runId);
        string expected = File.ReadAllText(run.Dmesg).TrimEnd('\n');
        expected.ShouldContain("Linux version " + run.Kernel);
        var failures = new List<string>();
        foreach (var format in run.Formats.Values)
        {
            using var kdx = KdxSession.Open(run, format.Name, SymbolSource.DumpOnly);
            string actual = kdx.Run("log").TrimEnd('\n');
            if (expected != actual)
            {
                failures.Add(MemoryReferenceTests.Difference($"{run} {format}: log (makedumpfile --dump-dmesg above)", expected, actual));
            }
        }

        run.Formats.Count.ShouldBe(11);
        failures.ShouldBeEmpty(MemoryReferenceTests.Report(failures));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Options_add_or_remove_only_their_own_parts(string runId)
    {
        var run = CiRuns.Get(runId);
        using var kdx = KdxSession.Open(run, "kdump-lzo", SymbolSource.DumpOnly);
        var plain = Records(kdx.Run("log"), prefix: 15);
        plain.Count.ShouldBeGreaterThan(200);

        // -t: the same texts with no stamp and no indent.
        kdx.Run("log -t").TrimEnd('\n').ShouldBe(string.Join('\n', plain.Select(r => r.Text)));

        // -m: every record gets its level <0>..<7> after the stamp; the rest is the plain record.
        var levels = Records(kdx.Run("log -m"), prefix: 18);
        levels.Select(r => r.Stamp).ShouldBe(plain.Select(r => r.Stamp));
        levels.ShouldAllBe(r => LevelPrefix().IsMatch(r.Text));
        levels.Select(r => r.Text[3..]).ShouldBe(plain.Select(r => r.Text));
        levels.Where(r => r.Text.Contains("Kernel panic - not syncing", StringComparison.Ordinal)).ShouldAllBe(r => r.Text.StartsWith("<0>", StringComparison.Ordinal));
        levels.Select(r => r.Text[..3]).Distinct().Count().ShouldBeGreaterThanOrEqualTo(3);

        // -d: the same records with SUBSYSTEM=/DEVICE= lines under some of them (PCI devices have them).
        var dict = Records(kdx.Run("log -d"), prefix: 15);
        dict.Select(r => string.Join('\n', r.Text.Split('\n').Where(l => !l.StartsWith("SUBSYSTEM=", StringComparison.Ordinal) && !l.StartsWith("DEVICE=", StringComparison.Ordinal))))
            .ShouldBe(plain.Select(r => r.Text));
        dict.ShouldContain(r => r.Text.Contains("\nSUBSYSTEM=pci\nDEVICE=+pci:0000:00:", StringComparison.Ordinal));

        // -c: the oops header was logged by the task it names, or by its CPU in interrupt context.
        var callers = kdx.Run("log -c").Split('\n');
        string panicHeader = plain.Select(r => r.Text).First(t => PanicHeader().IsMatch(t));
        var header = PanicHeader().Match(panicHeader);
        string[] who = ["T" + header.Groups[2].Value, "C" + header.Groups[1].Value];
        callers.ShouldContain(l => CallerLine().IsMatch(l) && who.Contains(CallerLine().Match(l).Groups[1].Value) && l.EndsWith(panicHeader, StringComparison.Ordinal));
        callers.Where(l => l.StartsWith('[')).ShouldAllBe(l => CallerLine().IsMatch(l));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Wall_clock_stamps_are_crash_s_boot_time_plus_each_record_s_seconds(string runId)
    {
        var run = CiRuns.Get(runId);
        using var kdx = KdxSession.Open(run, "elf", SymbolSource.DumpOnly);
        var plain = Records(kdx.Run("log"), prefix: 15);
        var wall = kdx.Run("log -T").Split('\n').Where(l => l.StartsWith('[')).ToList();
        wall.Count.ShouldBe(plain.Count);

        var first = WallStamp().Match(wall[0]);
        first.Success.ShouldBeTrue(wall[0]);
        var boot = DateTime.ParseExact(first.Groups[1].Value.Replace("  ", " ", StringComparison.Ordinal), "ddd MMM d HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture) - TimeSpan.FromSeconds(Seconds(plain[0].Stamp));
        for (int i = 0; i < wall.Count; i += 37)
        {
            var expected = boot + TimeSpan.FromSeconds(Seconds(plain[i].Stamp));
            string day = expected.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2);
            wall[i].ShouldStartWith($"[{expected.ToString("ddd MMM", CultureInfo.InvariantCulture)} {day} {expected.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} UTC {expected.Year}] ");
        }

        // crash's boot time is its DATE less its UPTIME (the 6.1 crashes, which crash opened).
        if (run.Formats["elf"].LoadCrashReference() is { Opens: true, Mode: "default" } crash && crash.Output("sys") is { } sys)
        {
            var date = DateTime.ParseExact(SysField(sys, "DATE").Replace("  ", " ", StringComparison.Ordinal), "ddd MMM d HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);
            var up = TimeSpan.Parse(SysField(sys, "UPTIME"), CultureInfo.InvariantCulture);
            boot.ShouldBe(date - up);
        }
    }

    private const string GdbFault = "   <segmentation violation in gdb>";

    private static string SysField(string sys, string name) =>
        sys.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

    private static long Seconds(string stamp) => long.Parse(stamp.Trim('[', ']').Split('.')[0], CultureInfo.InvariantCulture);

    /// <summary>
    /// Splits log output into records: a line that starts with a 15-character stamp, then its continuation
    /// lines indented by <paramref name="prefix"/> (the stamp and whatever follows it).
    /// </summary>
    private static List<(string Stamp, string Text)> Records(string output, int prefix)
    {
        var records = new List<(string Stamp, string Text)>();
        string indent = new(' ', prefix);
        foreach (var line in output.TrimEnd('\n').Split('\n'))
        {
            if (records.Count > 0 && line.StartsWith(indent, StringComparison.Ordinal))
            {
                records[^1] = (records[^1].Stamp, records[^1].Text + "\n" + line[prefix..]);
            }
            else
            {
                records.Add((line[..15], line[15..]));
            }
        }

        return records;
    }

    [GeneratedRegex(@"^<[0-7]>")]
    private static partial Regex LevelPrefix();

    [GeneratedRegex(@"^CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: ")]
    private static partial Regex PanicHeader();

    [GeneratedRegex(@"^\[ *\d+\.\d{6}\] \[ *([TC]\d+)\] ")]
    private static partial Regex CallerLine();

    [GeneratedRegex(@"^\[(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4})\] ")]
    private static partial Regex WallStamp();
}
