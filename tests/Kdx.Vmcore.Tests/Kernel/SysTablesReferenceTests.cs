using System.Text.RegularExpressions;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Kernel;

/// <summary>
/// <c>sys -c</c> (the system call table), <c>sys -i</c> (DMI strings) and <c>sys config</c> on real dumps. Where
/// crash answered (the 6.1 crashes, the state reference family on the ELF, -d 31 kdump and QEMU ELF) the output
/// must be crash's, byte for byte. crash's gdb dies on these on 6.12 (marked crash_failed): there the table is
/// checked against the x86_64 system call ABI (arch/x86/entry/syscalls/syscall_64.tbl numbers are fixed) and
/// against the 6.1 layout of the same lines, and the DMI strings against the "DMI:" line the guest's kernel
/// logged at boot (drivers/firmware/dmi_scan.c dmi_format_ids). The Debian kernels are built without
/// CONFIG_IKCONFIG, so <c>sys config</c> gives crash's error; the decoding is tested synthetically.
/// </summary>
public sealed partial class SysTablesReferenceTests
{
    private static readonly string[] Commands = ["sys -c", "sys -c write", "sys -c 1", "sys -i", "sys config"];

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Sys_tables_match_crash_where_it_answered(string runId)
    {
        var run = CiRuns.Get(runId);
        var (compared, failures) = StateReference.CompareWithCrash(run, Commands);
        compared.ShouldBeGreaterThanOrEqualTo(run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) ? 15 : 1);
        failures.ShouldBeEmpty(string.Join("\n", failures));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_system_call_table_follows_the_abi_with_and_without_the_vmlinux(string runId)
    {
        var run = CiRuns.Get(runId);
        using var full = KdxSession.Open(run, "elf");
        using var dumpOnly = KdxSession.Open(run, "elf", SymbolSource.DumpOnly);
        var rows = Rows(full.Run("sys -c"));
        var bare = dumpOnly.Run("sys -c").Split('\n');
        bare[0].ShouldBe("sys: line numbers are not available");

        // syscall_64.tbl: these numbers never change
        rows[0].Name.ShouldBe("__x64_sys_read");
        rows[1].Name.ShouldBe("__x64_sys_write");
        rows[60].Name.ShouldBe("__x64_sys_exit");
        rows[231].Name.ShouldBe("__x64_sys_exit_group");
        rows.Count.ShouldBeGreaterThan(400);
        rows.Keys.ShouldBe(Enumerable.Range(0, rows.Count), "one row per number, none missing");
        rows[0].Line.ShouldMatch(@"^\.\./fs/read_write\.c: \d+$");
        rows[1].Line.ShouldMatch(@"^\.\./fs/read_write\.c: \d+$");
        rows.Values.Count(r => r.Line.Length == 0).ShouldBe(0, "every handler has a line outside the headers");

        // the dump's own kallsyms name the same handlers, without lines
        var bareRows = Rows(string.Join('\n', bare.Skip(1)));
        bareRows.Keys.ShouldBe(rows.Keys);
        bareRows.Values.Select(r => r.Name).ShouldBe(rows.Values.Select(r => r.Name));
        bareRows.Values.ShouldAllBe(r => r.Line.Length == 0);

        // a selection is the rows of the whole table
        full.Run("sys -c write").Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => Row().Match(l).Groups[2].Value)
            .ShouldBe(rows.Values.Where(r => r.Name.Contains("write", StringComparison.Ordinal)).Select(r => r.Name));
        full.Run("sys -c 231").ShouldContain("231  __x64_sys_exit_group");
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Dmi_strings_are_those_the_kernel_logged_at_boot(string runId)
    {
        var run = CiRuns.Get(runId);
        var logged = File.ReadLines(run.Dmesg).Select(l => DmiLine().Match(l)).First(m => m.Success).Groups[1].Value;
        foreach (var format in new[] { "elf", "kdump-lzo", "qemu-elf" })
        {
            using var kdx = KdxSession.Open(run, format, SymbolSource.DumpOnly);
            var dmi = kdx.Run("sys -i").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(": ", 2)).ToDictionary(p => p[0].Trim(), p => p.Length > 1 ? p[1] : string.Empty);
            string board = dmi.TryGetValue("DMI_BOARD_NAME", out var b) ? "/" + b : string.Empty;
            $"{dmi["DMI_SYS_VENDOR"]} {dmi["DMI_PRODUCT_NAME"]}{board}, BIOS {dmi["DMI_BIOS_VERSION"]} {dmi["DMI_BIOS_DATE"]}".ShouldBe(logged, $"{run} {format}");
            kdx.Run("sys config").ShouldBe("sys: kernel_config_data does not exist in this kernel\n");
        }
    }

    private static Dictionary<int, (string Name, string Line)> Rows(string text)
    {
        var rows = new Dictionary<int, (string, string)>();
        foreach (var line in text.Split('\n'))
        {
            if (Row().Match(line) is { Success: true } m)
            {
                rows[int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)] = (m.Groups[2].Value, m.Groups[3].Value.Trim());
            }
        }

        return rows;
    }

    [GeneratedRegex(@"^\s*(\d+)  (\S+) +(.*)$")]
    private static partial Regex Row();

    [GeneratedRegex(@"\] DMI: (.*)$")]
    private static partial Regex DmiLine();
}
