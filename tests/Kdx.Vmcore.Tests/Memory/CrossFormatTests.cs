using Kdx.Core.Memory;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Memory;

/// <summary>
/// Kdx against itself across the formats of one crash, and against drgn's bytes in addresses.json. This is the
/// oracle where crash cannot open a dump (the 6.12 -d 31 dumps), and it pins down the filtered pages:
/// <list type="bullet">
/// <item>every format written in the guest shows, at every address of addresses.json, what the unfiltered ELF
/// shows, except that a filtered format says "page excluded" exactly where makedumpfile left the page out
/// (dumped_d31 / dumped_d23); the QEMU formats all show what the QEMU ELF shows (they were written a moment
/// before the guest's own dumps, so they are compared among themselves);</item>
/// <item>the unfiltered ELF holds the 32 bytes drgn read at each address, at the physical address drgn's own
/// page-table walk found;</item>
/// <item>opened with ZeroExcluded (crash's view of a filtered ELF, and its --zero_excluded), every -d 31 format
/// reads like crash's filtered ELF: zeros where pages were left out;</item>
/// <item>vtop prints the same walk on every format of a group.</item>
/// </list>
/// </summary>
public sealed class CrossFormatTests
{
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Every_format_reads_what_the_unfiltered_dump_holds_except_excluded_pages(string runId)
    {
        var run = CiRuns.Get(runId);
        var addresses = run.LoadAddresses().Addresses;
        var crashFilteredElf = run.Formats["elf-d31"].LoadCrashReference();
        var failures = new List<string>();
        var excludedIn = new Dictionary<string, int>();
        foreach (var group in new[] { CiRuns.InGuestFormats, CiRuns.HostFormats })
        {
            var baseline = Outputs(run, group[0], addresses.Select(Rd));
            foreach (string format in group.Skip(1))
            {
                var outputs = Outputs(run, format, addresses.Select(Rd));
                foreach (var a in addresses)
                {
                    string cmd = Rd(a);
                    string actual = CrashText.Normalize(cmd, outputs[cmd]);
                    bool excluded = actual == Excluded(a);
                    excludedIn[format] = excludedIn.GetValueOrDefault(format) + (excluded ? 1 : 0);
                    bool expectExcluded = format switch
                    {
                        "kdump-lzo-d23" => !a.DumpedD23,

                        // makedumpfile -E filters by its own rules (it also drops zero pages, and on 6.12 keeps
                        // pages the kdump bitmaps drop): a page it left out is one crash reads as zeros there.
                        "elf-d31" => excluded && (crashFilteredElf?.Output(cmd) is not { } z || IsZeros(z)),
                        _ when CiRuns.Level31Formats.Contains(format) => !a.DumpedD31,
                        _ => false,
                    };
                    string expected = expectExcluded ? Excluded(a) : CrashText.Normalize(cmd, baseline[cmd]);
                    if (actual != expected)
                    {
                        failures.Add(MemoryReferenceTests.Difference($"{run} {format}: {cmd} (expected from {group[0]})", expected, actual));
                    }
                }
            }
        }

        failures.ShouldBeEmpty(MemoryReferenceTests.Report(failures));
        foreach (string format in CiRuns.Level31Formats.Append("kdump-lzo-d23"))
        {
            excludedIn[format].ShouldBeGreaterThan(0, $"{run} {format}: no address reads as excluded");
        }
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_unfiltered_dump_holds_the_bytes_drgn_read(string runId)
    {
        var run = CiRuns.Get(runId);
        using var kdx = KdxSession.Open(run, "elf", SymbolSource.DumpOnly);
        var failures = new List<string>();
        int checkedBytes = 0;
        foreach (var a in run.LoadAddresses().Addresses)
        {
            if (a.PhysicalAddress is { } pa && kdx.Program.Kernel.Translate(a.Address, out ulong translated) is var status
                && (status != ReadStatus.Ok || translated != pa))
            {
                failures.Add($"{a.Hex} ({a.Kind}): drgn's walk gives {pa:x}, Kdx {status} {translated:x}");
            }

            if (a.Bytes is { } expected)
            {
                var bytes = new byte[expected.Length];
                var read = kdx.Program.Kernel.Read(a.Address, bytes, out _);
                if (read != ReadStatus.Ok || !bytes.AsSpan().SequenceEqual(expected))
                {
                    failures.Add($"{a.Hex} ({a.Kind}): {read}, {Convert.ToHexString(bytes)} instead of {Convert.ToHexString(expected)}");
                }

                checkedBytes++;
            }
        }

        checkedBytes.ShouldBeGreaterThanOrEqualTo(50);
        failures.ShouldBeEmpty(string.Join('\n', failures));
    }

    /// <summary>
    /// With ZeroExcluded (crash's --zero_excluded), a page makedumpfile left out of a compressed kdump reads as
    /// zeros; every other page as in the unfiltered dump. (The filtered ELF read this way is compared with
    /// crash's own reading of it in <see cref="MemoryReferenceTests"/>.)
    /// </summary>
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void With_zero_excluded_the_pages_left_out_read_as_zeros(string runId)
    {
        var run = CiRuns.Get(runId);
        var addresses = run.LoadAddresses().Addresses;
        var commands = addresses.Select(Rd).ToList();
        var baseline = Outputs(run, "elf", commands);
        var failures = new List<string>();
        foreach (string format in CiRuns.Level31Formats.Where(f => f != "elf-d31").Append("kdump-lzo-d23"))
        {
            var outputs = Outputs(run, format, commands, zeroExcluded: true);
            foreach (var a in addresses)
            {
                bool dumped = format == "kdump-lzo-d23" ? a.DumpedD23 : a.DumpedD31;
                string expected = dumped ? baseline[Rd(a)] : Zeros(a.Address);
                if (CrashText.Normalize(Rd(a), outputs[Rd(a)]) != CrashText.Normalize(Rd(a), expected))
                {
                    failures.Add(MemoryReferenceTests.Difference($"{run} {format} (zero excluded): {Rd(a)}", expected, outputs[Rd(a)]));
                }
            }
        }

        addresses.ShouldContain(a => !a.DumpedD31, "no excluded page to compare");
        failures.ShouldBeEmpty(MemoryReferenceTests.Report(failures));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Vtop_is_the_same_on_every_format(string runId)
    {
        var run = CiRuns.Get(runId);
        var commands = run.LoadAddresses().Addresses.Select(a => $"vtop {a.Hex}").ToList();
        var failures = new List<string>();
        foreach (var group in new[] { CiRuns.InGuestFormats, CiRuns.HostFormats })
        {
            var baseline = Outputs(run, group[0], commands);
            baseline.Values.ShouldAllBe(o => o.StartsWith("VIRTUAL ", StringComparison.Ordinal));
            foreach (string format in group.Skip(1))
            {
                var outputs = Outputs(run, format, commands);
                failures.AddRange(commands.Where(c => outputs[c] != baseline[c])
                    .Select(c => MemoryReferenceTests.Difference($"{run} {format}: {c} (expected from {group[0]})", baseline[c], outputs[c])));
            }
        }

        failures.ShouldBeEmpty(MemoryReferenceTests.Report(failures));
    }

    private static string Rd(TestBedAddress a) => $"rd -64 {a.Hex} 4";

    private static string Excluded(TestBedAddress a) => $"rd: page excluded: kernel virtual address: {a.Address:x}  type: \"64-bit KVADDR\"";

    // What rd -64 ADDR 4 prints for 32 zero bytes.
    private static string Zeros(ulong address) =>
        $"{address:x16}:  0000000000000000 0000000000000000   ................\n{address + 16:x16}:  0000000000000000 0000000000000000   ................\n";

    private static bool IsZeros(string rdOutput) =>
        rdOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(l => l.EndsWith(":  0000000000000000 0000000000000000   ................", StringComparison.Ordinal));

    private static Dictionary<string, string> Outputs(TestBedRun run, string format, IEnumerable<string> commands, bool zeroExcluded = false)
    {
        using var kdx = KdxSession.Open(run, format, SymbolSource.DumpOnly, zeroExcluded);
        return commands.Distinct().ToDictionary(c => c, kdx.Run);
    }
}
