using System.Numerics;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux.Irq;

/// <summary>Where the kernel keeps its interrupt descriptors.</summary>
public enum IrqStorage
{
    /// <summary>A static array <c>irq_desc[NR_IRQS]</c> (!CONFIG_SPARSE_IRQ).</summary>
    Array,

    /// <summary>The radix tree (an XArray since v4.20) <c>irq_desc_tree</c>, indexed by IRQ number (CONFIG_SPARSE_IRQ up to 6.4).</summary>
    RadixTree,

    /// <summary>The maple tree <c>sparse_irqs</c> (Linux 6.5, kernel/irq/irqdesc.c: "genirq: Use a maple tree for interrupt descriptor management").</summary>
    MapleTree,
}

/// <summary>One <c>struct irqaction</c> of an interrupt's chain.</summary>
/// <param name="Address">The irqaction.</param>
/// <param name="Name">Its <c>name</c>, or null when unreadable.</param>
/// <param name="Handler">Its <c>handler</c>.</param>
/// <param name="Flags">Its <c>flags</c> (IRQF_*).</param>
/// <param name="DevId">Its <c>dev_id</c>.</param>
public sealed record IrqAction(ulong Address, string? Name, ulong Handler, ulong Flags, ulong DevId);

/// <summary>One interrupt descriptor.</summary>
/// <param name="Irq">The Linux IRQ number.</param>
/// <param name="Address">The struct irq_desc.</param>
/// <param name="Actions">Its handlers, in <c>action-&gt;next</c> order.</param>
/// <param name="ChipName">The name of its irq_chip (irq_data.chip-&gt;name: "IO-APIC", "PCI-MSI"), or null.</param>
/// <param name="FlowName">Its <c>name</c>, the flow handler's ("edge", "fasteoi"), or null.</param>
/// <param name="Problem">Why the action chain stopped early, or null.</param>
public sealed record IrqDescriptor(int Irq, ulong Address, IReadOnlyList<IrqAction> Actions, string? ChipName, string? FlowName, string? Problem);

/// <summary>
/// The interrupt descriptors of kernel/irq/irqdesc.c, from whichever store the kernel has (detected by its
/// symbols: <c>sparse_irqs</c>, <c>irq_desc_tree</c>, or <c>irq_desc</c>), with their action chains, chips and
/// per-CPU counts. Descriptors are read when first asked for.
/// </summary>
public sealed class IrqDescriptors
{
    private const int MaxActions = 1024;
    private readonly IProgram _program;
    private readonly StructLayout _desc;
    private readonly StructLayout _action;
    private readonly Dictionary<int, ulong> _addresses;
    private readonly Dictionary<int, IrqDescriptor> _read = [];

    private IrqDescriptors(IProgram program, IrqStorage storage, int count, Dictionary<int, ulong> addresses, List<string> problems)
    {
        _program = program;
        _desc = StructLayout.Find(program.Types, "irq_desc");
        _action = StructLayout.Find(program.Types, "irqaction");
        Storage = storage;
        Count = count;
        _addresses = addresses;
        Problems = problems;
    }

    /// <summary>Where the descriptors are kept.</summary>
    public IrqStorage Storage { get; }

    /// <summary>The number of IRQs (<c>nr_irqs</c>, else NR_IRQS of the array): IRQ numbers run below it.</summary>
    public int Count { get; }

    /// <summary>What could not be read of the descriptor store.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>The IRQ numbers that have a descriptor, ascending.</summary>
    public IEnumerable<int> Numbers => _addresses.Keys.Order();

    /// <summary>Reads the descriptor store of <paramref name="program"/>.</summary>
    public static IrqDescriptors Read(IProgram program, WalkLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        limits ??= WalkLimits.Default;
        var problems = new List<string>();
        var addresses = new Dictionary<int, ulong>();
        int count = program.Symbols.TryGetAddress("nr_irqs", out ulong nrAt) && program.Memory.TryReadUInt64(nrAt, out ulong nr) ? (int)Math.Min((uint)nr, 1u << 20) : 0;
        IrqStorage storage;
        if (program.Symbols.TryGetAddress("sparse_irqs", out ulong sparse))
        {
            storage = IrqStorage.MapleTree;
            var type = program.Types.FindType("maple_tree", TypeKind.Struct) ?? throw new KdxException("no type information for struct maple_tree");
            Collect(problems, "sparse_irqs", () => MapleTree.Entries(KObject.FromAddress(program, type, sparse), limits).Select(e => (e.First, e.Entry)), addresses);
        }
        else if (program.Symbols.TryGetAddress("irq_desc_tree", out ulong tree))
        {
            storage = IrqStorage.RadixTree;
            var type = program.Types.FindType("xarray", TypeKind.Struct) ?? program.Types.FindType("radix_tree_root", TypeKind.Struct)
                ?? throw new KdxException("no type information for struct xarray");
            Collect(problems, "irq_desc_tree", () => XArray.Entries(KObject.FromAddress(program, type, tree), limits), addresses);
        }
        else if (program.Symbols.TryGetAddress("irq_desc", out ulong array))
        {
            storage = IrqStorage.Array;
            var desc = StructLayout.Find(program.Types, "irq_desc");
            int length = program.Types.FindVariableType("irq_desc") is { } t && t.Type.Unaliased().Length is ulong n ? (int)Math.Min(n, 1UL << 20) : count;
            count = count == 0 ? length : Math.Min(count, length);
            for (int i = 0; i < count; i++)
            {
                addresses[i] = array + ((ulong)i * (ulong)desc.Size);
            }
        }
        else
        {
            throw new KdxException("no interrupt descriptors: the kernel has neither sparse_irqs, irq_desc_tree nor irq_desc");
        }

        if (count == 0)
        {
            count = addresses.Count == 0 ? 0 : addresses.Keys.Max() + 1;
        }

        return new IrqDescriptors(program, storage, count, addresses, problems);
    }

    /// <summary>The descriptor of <paramref name="irq"/>, or null when the IRQ has none.</summary>
    public IrqDescriptor? Find(int irq)
    {
        if (_read.TryGetValue(irq, out var d))
        {
            return d;
        }

        if (!_addresses.TryGetValue(irq, out ulong at))
        {
            return null;
        }

        d = Describe(irq, at);
        _read[irq] = d;
        return d;
    }

    /// <summary>
    /// How often the IRQ fired on each CPU: <c>*per_cpu_ptr(desc-&gt;kstat_irqs, cpu)</c> (an unsigned int, or since
    /// Linux 6.10 a <c>struct irqstat</c> whose first member is the count); 0 where unreadable.
    /// </summary>
    public uint[] CountsPerCpu(IrqDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var counts = new uint[_program.CpuCount];
        if (_desc.TryOffset("kstat_irqs") is not int at || !_program.Memory.TryReadUInt64(descriptor.Address + (ulong)at, out ulong percpu) || percpu == 0)
        {
            return counts;
        }

        Span<byte> b = stackalloc byte[4];
        for (int cpu = 0; cpu < counts.Length; cpu++)
        {
            if (_program.Memory.Read(_program.PerCpuAddress(percpu, cpu), b, out _) == ReadStatus.Ok)
            {
                counts[cpu] = BitConverter.ToUInt32(b);
            }
        }

        return counts;
    }

    /// <summary>
    /// The CPUs the IRQ may be delivered to (irq_common_data.affinity, a pointer with CONFIG_CPUMASK_OFFSTACK,
    /// else the mask itself), or null when unreadable.
    /// </summary>
    public IReadOnlyList<int>? Affinity(IrqDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        string path = _desc.Has("irq_common_data.affinity") ? "irq_common_data.affinity" : _desc.Has("irq_data.affinity") ? "irq_data.affinity" : "affinity";
        if (!_desc.Has(path))
        {
            return null;
        }

        ulong mask = descriptor.Address + (ulong)_desc.Offset(path);
        if (IsPointer(_desc, path) && !_program.Memory.TryReadUInt64(mask, out mask))
        {
            return null;
        }

        var cpus = new List<int>();
        for (int word = 0; word * 64 < _program.CpuCount; word++)
        {
            if (!_program.Memory.TryReadUInt64(mask + ((ulong)word * 8), out ulong bits))
            {
                return null;
            }

            while (bits != 0)
            {
                int cpu = (word * 64) + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                if (cpu < _program.CpuCount)
                {
                    cpus.Add(cpu);
                }
            }
        }

        return cpus;
    }

    private static bool IsPointer(StructLayout layout, string path) => layout.MemberType(path).Kind == TypeKind.Pointer;

    private static void Collect(List<string> problems, string what, Func<IEnumerable<(ulong Index, ulong Entry)>> entries, Dictionary<int, ulong> into)
    {
        try
        {
            foreach (var (index, entry) in entries())
            {
                if (index < 1 << 20 && entry != 0)
                {
                    into[(int)index] = entry;
                }
            }
        }
        catch (KdxException e)
        {
            problems.Add($"{what}: {e.Message}; the descriptors before it are listed");
        }
    }

    private IrqDescriptor Describe(int irq, ulong at)
    {
        var actions = new List<IrqAction>();
        string? problem = null;
        ulong action = _program.Memory.TryReadUInt64(at + (ulong)_desc.Offset("action"), out ulong a) ? a : 0;
        var seen = new HashSet<ulong>();
        while (action != 0)
        {
            if (!seen.Add(action) || seen.Count > MaxActions)
            {
                problem = $"irq {irq}: the irqaction chain loops back to {action:x}";
                break;
            }

            if (!_program.Memory.TryReadUInt64(action + (ulong)_action.Offset("next"), out ulong next))
            {
                problem = $"irq {irq}: irqaction at {action:x} is unreadable";
                break;
            }

            actions.Add(new IrqAction(action, String(action + (ulong)_action.Offset("name")), Word(action, "handler"), Word(action, "flags"), Word(action, "dev_id")));
            action = next;
        }

        string? chip = null;
        if (_desc.TryOffset("irq_data.chip") is int chipAt && _program.Memory.TryReadUInt64(at + (ulong)chipAt, out ulong chipAddress) && chipAddress != 0
            && StructLayout.TryFind(_program.Types, "irq_chip")?.TryOffset("name") is int nameAt)
        {
            chip = String(chipAddress + (ulong)nameAt);
        }

        string? flow = _desc.TryOffset("name") is int flowAt ? String(at + (ulong)flowAt) : null;
        return new IrqDescriptor(irq, at, actions, chip, flow, problem);
    }

    private ulong Word(ulong action, string member)
    {
        ulong v = _program.Memory.TryReadUInt64(action + (ulong)_action.Offset(member), out ulong w) ? w : 0;
        int size = _action.SizeOf(member);
        return size >= 8 ? v : v & ((1UL << (size * 8)) - 1);
    }

    // A `const char *` member: the string it points to, or null when NULL or unreadable.
    private string? String(ulong pointerAt)
    {
        if (!_program.Memory.TryReadUInt64(pointerAt, out ulong s) || s == 0)
        {
            return null;
        }

        try
        {
            return _program.Memory.ReadCString(s, 256, "a name");
        }
        catch (MemoryFaultException)
        {
            return null;
        }
    }
}
