using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux.Mm;

/// <summary>One named counter.</summary>
/// <param name="Name">The enumerator's name (NR_FREE_PAGES, PGFAULT, …).</param>
/// <param name="Value">Its value.</param>
public readonly record struct VmCounter(string Name, long Value);

/// <summary>
/// The kernel's global memory counters (mm/vmstat.c): vm_zone_stat[] and vm_node_stat[] (atomic_long_t, indexed
/// by enum zone_stat_item and node_stat_item; the node split is Linux v4.8, commit 75ef71840539) and the per-CPU
/// vm_event_states (enum vm_event_item) summed over the CPUs. Names come from the enums, so a kernel's own set
/// is shown; an enumerator that repeats an earlier value (NR_ZONE_LRU_BASE) names the slot it shares once.
/// </summary>
public sealed class VmStat
{
    private VmStat(IReadOnlyList<VmCounter> zone, IReadOnlyList<VmCounter> node, IReadOnlyList<VmCounter> events)
    {
        Zone = zone;
        Node = node;
        Events = events;
    }

    /// <summary>vm_zone_stat.</summary>
    public IReadOnlyList<VmCounter> Zone { get; }

    /// <summary>vm_node_stat.</summary>
    public IReadOnlyList<VmCounter> Node { get; }

    /// <summary>vm_event_states summed over the CPUs (empty without CONFIG_VM_EVENT_COUNTERS).</summary>
    public IReadOnlyList<VmCounter> Events { get; }

    /// <summary>Reads the counters; a table the kernel lacks is empty.</summary>
    public static VmStat Read(IProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        return new VmStat(
            Table(program, "vm_zone_stat", "zone_stat_item", perCpu: false),
            Table(program, "vm_node_stat", "node_stat_item", perCpu: false),
            Table(program, "vm_event_states", "vm_event_item", perCpu: true));
    }

    /// <summary>The counters of one zone or node array (zone.vm_stat, pglist_data.vm_stat) at <paramref name="address"/>.</summary>
    public static IReadOnlyList<VmCounter> ReadArray(IProgram program, ulong address, string enumName)
    {
        ArgumentNullException.ThrowIfNull(program);
        var items = Items(program, enumName);
        var result = new List<VmCounter>(items.Count);
        foreach (var (name, index) in items)
        {
            long v = program.Memory.TryReadUInt64(address + ((ulong)index * 8), out ulong x) ? (long)x : 0;
            result.Add(new VmCounter(name, v));
        }

        return result;
    }

    /// <summary>The value of a zone or node counter by name, or null.</summary>
    public long? Value(string name) =>
        Zone.Concat(Node).Where(c => c.Name == name).Select(c => (long?)c.Value).FirstOrDefault();

    private static List<VmCounter> Table(IProgram program, string symbol, string enumName, bool perCpu)
    {
        if (!program.Symbols.TryGetAddress(symbol, out ulong address))
        {
            return [];
        }

        var result = new List<VmCounter>();
        foreach (var (name, index) in Items(program, enumName))
        {
            long sum = 0;
            for (int cpu = 0; cpu < (perCpu ? program.CpuCount : 1); cpu++)
            {
                ulong at = (perCpu ? program.PerCpuAddress(address, cpu) : address) + ((ulong)index * 8);
                if (program.Memory.TryReadUInt64(at, out ulong v))
                {
                    sum += (long)v;
                }
            }

            result.Add(new VmCounter(name, sum));
        }

        return result;
    }

    // The enumerators below the NR_VM_* count, one name per value: the last that has it (the kernel's aliases come first).
    private static List<(string Name, long Index)> Items(IProgram program, string enumName)
    {
        var e = program.Types.FindType(enumName, TypeKind.Enum);
        if (e is null)
        {
            return [];
        }

        var byValue = new SortedDictionary<long, string>();
        foreach (var x in e.Enumerators)
        {
            if (x.Name.StartsWith("NR_VM_", StringComparison.Ordinal) && x.Name.EndsWith("_ITEMS", StringComparison.Ordinal))
            {
                continue;
            }

            if ((long)x.Value is >= 0 and < 4096)
            {
                byValue[(long)x.Value] = x.Name;
            }
        }

        return [.. byValue.Select(kv => (kv.Value, kv.Key))];
    }
}
