using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux.Irq;

/// <summary>
/// Soft interrupts (kernel/softirq.c): the handler of each vector in <c>softirq_vec[NR_SOFTIRQS]</c>, and
/// each CPU's pending vectors (<c>irq_stat.__softirq_pending</c>, per-CPU irq_cpustat_t on x86).
/// </summary>
public static class Softirqs
{
    /// <summary>The kernel's names of the vectors (include/linux/interrupt.h, enum of HI_SOFTIRQ … RCU_SOFTIRQ, v4.1 and later).</summary>
    public static readonly IReadOnlyList<string> Names = ["HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"];

    /// <summary>The action of every vector of softirq_vec[] (0 where none is registered), in vector order.</summary>
    public static IReadOnlyList<ulong> Actions(IProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (!program.Symbols.TryGetAddress("softirq_vec", out ulong at))
        {
            throw new KdxException("no symbol softirq_vec");
        }

        var action = StructLayout.Find(program.Types, "softirq_action");
        int count = program.Types.FindVariableType("softirq_vec") is { } t && t.Type.Unaliased() is { Kind: TypeKind.Array, Length: ulong n } ? (int)Math.Min(n, 64) : Names.Count;
        var result = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = program.Memory.ReadUInt64(at + ((ulong)i * (ulong)action.Size) + (ulong)action.Offset("action"), "softirq_vec[]");
        }

        return result;
    }

    /// <summary>
    /// The pending-vector bit mask of <paramref name="cpu"/> (x86: a u16 at the start of irq_cpustat_t), or null
    /// when the kernel has no per-CPU irq_stat or it cannot be read.
    /// </summary>
    public static uint? Pending(IProgram program, int cpu)
    {
        ArgumentNullException.ThrowIfNull(program);
        var type = (program.Types.FindVariableType("irq_stat")?.Type ?? program.Types.FindType("irq_cpustat_t"))?.Unaliased();
        if (!program.Symbols.TryGetAddress("irq_stat", out ulong at) || type is null || !type.TryFindMember("__softirq_pending", out var member, out ulong bits))
        {
            return null;
        }

        int size = (int)Math.Min(member.Type.Type.Unaliased().Size, 4);
        Span<byte> b = stackalloc byte[4];
        b.Clear();
        return program.Memory.Read(program.PerCpuAddress(at, cpu) + (bits / 8), b[..size], out _) == ReadStatus.Ok ? BitConverter.ToUInt32(b) : null;
    }

    /// <summary>The names of the vectors set in <paramref name="mask"/> ("TIMER|RCU"), or "none".</summary>
    public static string Describe(uint mask)
    {
        var set = Enumerable.Range(0, 32).Where(i => (mask & (1u << i)) != 0).Select(i => i < Names.Count ? Names[i] : $"{i}").ToList();
        return set.Count == 0 ? "none" : string.Join('|', set);
    }
}
