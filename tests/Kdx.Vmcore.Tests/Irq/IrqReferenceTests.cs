using System.Globalization;
using System.Text.RegularExpressions;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Irq;

/// <summary>
/// <c>irq</c> on real dumps. On 6.1 every irq command crash 8.0.2 answered must give the same text, except the
/// AFFINITY column of <c>irq -a</c>: crash 8.0.2 prints no CPUs there (it reads sizeof(cpumask_t) = 1 KiB from
/// an off-stack mask that holds nr_cpu_ids bits), so that column is checked against the mask itself, read
/// through Kdx's expression evaluator. On 6.12 crash says "irq_desc[] or irq_desc_tree do not exist", which is
/// wrong: since 6.5 the descriptors are in the maple tree sparse_irqs. There the ground truth is the guest's
/// boot log (nr_irqs, and the IRQs the serial port and the keyboard controller said they use) and the 6.1 run
/// of the same scenario, whose devices and handlers are the same.
/// </summary>
public sealed partial class IrqReferenceTests
{
    private static readonly string[] Exact = ["irq", "irq -u", "irq -d", "irq -b", "irq -s", "irq -s -c 1", "irq 0", "irq 4"];

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Irq_commands_match_crash_where_crash_answered(string runId)
    {
        var run = CiRuns.Get(runId);

        // crash's "irq_desc[] or irq_desc_tree do not exist?" on 6.12 is wrong (sparse_irqs): not compared
        var (compared, failures) = StateReference.CompareWithCrash(
            run, Exact, (_, _, expected, actual) => expected.Contains("do not exist?", StringComparison.Ordinal) ? null : (expected, actual));

        // 6.12: crash answered only irq -d (its gdb died on -b and -s, and it found no descriptors)
        compared.ShouldBeGreaterThanOrEqualTo((StateReference.IsSix1(run) ? Exact.Length : 1) * StateReference.Formats(run));
        failures.ShouldBeEmpty(string.Join("\n", failures));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Irq_affinity_names_match_crash_and_cpus_are_the_descriptor_s_mask(string runId)
    {
        var run = CiRuns.Get(runId);
        using var kdx = KdxSession.Open(run, "elf");
        var lines = StateReference.Lines(kdx.Run("irq -a"));
        lines[0].ShouldBe("IRQ NAME                 AFFINITY");
        if (StateReference.Answer(run, "elf", "irq -a") is { } crash && !crash.Contains("do not exist?", StringComparison.Ordinal))
        {
            lines.Select(l => l.Length > 25 ? l[..25] : l).ShouldBe(StateReference.Lines(crash).Select(l => l.Length > 25 ? l[..25] : l));
        }

        var table = StateReference.Lines(kdx.Run("irq -u"));
        foreach (var line in lines.Skip(1))
        {
            int irq = int.Parse(line[..3], CultureInfo.InvariantCulture);
            string desc = table.Single(l => l.Length > 20 && l[..4].Trim() == irq.ToString(CultureInfo.InvariantCulture)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            string bits = kdx.Run($"p/x ((struct irq_desc *)0x{desc})->irq_common_data.affinity->bits[0]").Trim();
            ulong mask = ulong.Parse(bits[(bits.IndexOf("0x", StringComparison.Ordinal) + 2)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var cpus = Enumerable.Range(0, kdx.Program.CpuCount).Where(c => (mask & (1UL << c)) != 0).ToList();
            string expected = cpus.Count == kdx.Program.CpuCount && cpus.Count > 1 ? $"0-{cpus.Count - 1}" : string.Join(',', cpus);
            line[25..].ShouldBe(expected, $"{run} irq {irq}");
        }
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_irqs_the_guest_s_drivers_announced_have_their_handlers_and_nr_irqs_lines(string runId)
    {
        var run = CiRuns.Get(runId);
        string log = File.ReadAllText(run.ConsoleLog);
        int nrIrqs = int.Parse(NrIrqs().Match(log).Groups[1].Value, CultureInfo.InvariantCulture);
        int serial = int.Parse(Serial().Match(log).Groups[1].Value, CultureInfo.InvariantCulture);
        var keyboard = Keyboard().Match(log);
        foreach (var format in ReferenceFamilies.StateFormats)
        {
            using var kdx = KdxSession.Open(run, format);
            var lines = StateReference.Lines(kdx.Run("irq"));
            var problems = lines.Where(l => l.StartsWith("irq: ", StringComparison.Ordinal)).ToList();
            (lines.Length - problems.Count).ShouldBe(nrIrqs + 1, $"{format}: a header and one line per IRQ below nr_irqs");
            if (problems.Count > 0)
            {
                // makedumpfile 1.7.2 at -d 31 drops live slab pages of 6.12 (maple nodes among them): the walk says
                // so and lists what it could read.
                format.ShouldBeOneOf([.. CiRuns.Level31Formats], $"problems on a whole dump: {problems[0]}");
                problems.ShouldAllBe(p => p.Contains("excluded by makedumpfile", StringComparison.Ordinal));
                continue;
            }

            kdx.Run($"irq {serial}").ShouldContain("\"ttyS0\"");
            kdx.Run($"irq {keyboard.Groups[1].Value}").ShouldContain("\"i8042\"");
            kdx.Run($"irq {keyboard.Groups[2].Value}").ShouldContain("\"i8042\"");
            kdx.Run("irq 0").ShouldContain("\"timer\"");
            kdx.Run($"irq {nrIrqs}").ShouldBe($"irq: invalid IRQ value: {nrIrqs}  ({nrIrqs - 1} max)\n");
        }
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Both_kernels_of_one_scenario_have_the_same_handlers_on_the_same_irqs(string runId)
    {
        // The guests differ only in kernel: the legacy IRQs carry the same handlers on 6.1 and 6.12.
        var run = CiRuns.Get(runId);
        var other = CiRuns.Ids.Select(CiRuns.Get).FirstOrDefault(r => r.Scenario == run.Scenario && r.Kernel != run.Kernel && r.La57 == run.La57);
        if (other is null)
        {
            return;
        }

        using var a = KdxSession.Open(run, "elf");
        using var b = KdxSession.Open(other, "elf");
        Legacy(a.Run("irq -u")).ShouldBe(Legacy(b.Run("irq -u")));
    }

    // IRQs 0-15 with their handler names.
    private static List<string> Legacy(string table) =>
        [.. StateReference.Lines(table).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(w => int.Parse(w[0], CultureInfo.InvariantCulture) < 16).Select(w => $"{w[0]} {w[^1]}")];

    [GeneratedRegex(@"nr_irqs: (\d+)")]
    private static partial Regex NrIrqs();

    [GeneratedRegex(@"ttyS0 at I/O \S+ \(irq = (\d+)")]
    private static partial Regex Serial();

    [GeneratedRegex(@"i8042: PNP: .* irq (\d+),(\d+)")]
    private static partial Regex Keyboard();
}
