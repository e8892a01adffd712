using System.Globalization;

namespace Kdx.Commands.Infrastructure;

/// <summary>
/// A CPU list as crash takes it (tools.c make_cpumask): "a" or "all", or comma-separated CPU numbers and
/// ranges ("1,3,5-7"), each below the number of CPUs.
/// </summary>
public static class CpuSpec
{
    /// <summary>The CPUs <paramref name="spec"/> names, in ascending order without repeats.</summary>
    /// <param name="spec">The list, e.g. "0-1,3" or "a".</param>
    /// <param name="cpuCount">How many CPUs the kernel has.</param>
    /// <exception cref="CommandException">"invalid cpu specification: SPEC".</exception>
    public static IReadOnlyList<int> Parse(string spec, int cpuCount)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var cpus = new SortedSet<int>();
        foreach (string part in spec.Split(','))
        {
            int start, end;
            if (part is "a" or "all")
            {
                (start, end) = (0, cpuCount - 1);
            }
            else
            {
                int dash = part.IndexOf('-', StringComparison.Ordinal);
                string first = dash < 0 ? part : part[..dash];
                string last = dash < 0 ? part : part[(dash + 1)..];
                if (!TryCpu(first, out start) || !TryCpu(last, out end) || end < start)
                {
                    throw Invalid(spec);
                }
            }

            if (start < 0 || end >= cpuCount)
            {
                throw Invalid(spec);
            }

            for (int cpu = start; cpu <= end; cpu++)
            {
                cpus.Add(cpu);
            }
        }

        return [.. cpus];
    }

    private static bool TryCpu(string word, out int cpu) =>
        int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out cpu);

    private static CommandException Invalid(string spec) => new($"invalid cpu specification: {spec}");
}
