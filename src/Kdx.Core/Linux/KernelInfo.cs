using System.Numerics;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux;

/// <summary>The kernel's name, version and machine (struct new_utsname of the initial UTS namespace).</summary>
public sealed record KernelUtsname(string Sysname, string Nodename, string Release, string Version, string Machine, string Domainname);

/// <summary>
/// Facts about the crashed kernel that sys prints, each read from the kernel variable that holds it; each
/// is null when the variable (or its type) is missing or unreadable.
/// </summary>
public static class KernelInfo
{
    /// <summary>init_uts_ns.name (kernel/utsname.c; include/uapi/linux/utsname.h: six 65-byte strings).</summary>
    public static KernelUtsname? TryGetUtsname(IProgram program)
    {
        var ns = program.Types.FindType("uts_namespace", TypeKind.Struct);
        if (ns is null || !program.Symbols.TryGetAddress("init_uts_ns", out ulong at) || !ns.TryFindMember("name", out _, out ulong bits))
        {
            return null;
        }

        var b = new byte[6 * 65];
        if (program.Memory.Read(at + (bits / 8), b, out _) != ReadStatus.Ok)
        {
            return null;
        }

        string Field(int i) => KernelStrings.FromBuffer(b.AsSpan(i * 65, 65));

        return new KernelUtsname(Field(0), Field(1), Field(2), Field(3), Field(4), Field(5));
    }

    /// <summary>
    /// The CPU that panicked: panic_cpu (kernel/panic.c, an atomic_t set by panic() and __crash_kexec() since
    /// v4.5, commit 1717f2096b54 "panic, x86: Fix re-entrance problem due to panic on NMI"; -1 when no CPU
    /// panicked).
    /// </summary>
    public static int? TryGetPanicCpu(IProgram program) =>
        program.Symbols.TryGetAddress("panic_cpu", out ulong at) && program.Memory.TryReadUInt64(at, out ulong v) && (int)(uint)v is int cpu && cpu >= 0 && cpu < 1 << 16 ? cpu : null;

    /// <summary>tainted_mask (kernel/panic.c), 0 for an untainted kernel.</summary>
    public static ulong? TryGetTaintMask(IProgram program) =>
        program.Symbols.TryGetAddress("tainted_mask", out ulong at) && program.Memory.TryReadUInt64(at, out ulong v) ? v : null;

    /// <summary>cpu_khz (arch/x86/kernel/tsc.c) in MHz.</summary>
    public static ulong? TryGetCpuMhz(IProgram program) =>
        program.Symbols.TryGetAddress("cpu_khz", out ulong at) && program.Memory.TryReadUInt64(at, out ulong v) ? (uint)v / 1000 : null;

    /// <summary>
    /// The number of CPUs in a cpumask variable: __cpu_online_mask, __cpu_present_mask, __cpu_possible_mask
    /// (kernel/cpu.c, v4.5 and later), counted over nr_cpu_ids bits.
    /// </summary>
    public static int? TryCountCpus(IProgram program, string mask)
    {
        if (!program.Symbols.TryGetAddress(mask, out ulong at) || !program.Symbols.TryGetAddress("nr_cpu_ids", out ulong nrAt) || !program.Memory.TryReadUInt64(nrAt, out ulong nrRaw))
        {
            return null;
        }

        int nr = (int)Math.Min((uint)nrRaw, 1u << 16);
        int count = 0;
        for (int word = 0; word * 64 < nr; word++)
        {
            if (!program.Memory.TryReadUInt64(at + ((ulong)word * 8), out ulong bits))
            {
                return null;
            }

            int valid = Math.Min(64, nr - (word * 64));
            count += BitOperations.PopCount(valid == 64 ? bits : bits & ((1UL << valid) - 1));
        }

        return count;
    }

    /// <summary>avenrun[3] (kernel/sched/loadavg.c): fixed point with 11 fractional bits.</summary>
    public static ulong[]? TryGetLoadAverage(IProgram program)
    {
        if (!program.Symbols.TryGetAddress("avenrun", out ulong at))
        {
            return null;
        }

        var v = new ulong[3];
        for (int i = 0; i < 3; i++)
        {
            if (!program.Memory.TryReadUInt64(at + ((ulong)i * 8), out v[i]))
            {
                return null;
            }
        }

        return v;
    }

    /// <summary>
    /// The memory the kernel manages in bytes: node_present_pages of every node (node_data[] on NUMA
    /// kernels, contig_page_data otherwise), as crash's MEMORY counts it.
    /// </summary>
    public static ulong? TryGetMemoryBytes(IProgram program, int pageSize)
    {
        var pgdat = StructLayout.TryFind(program.Types, "pglist_data");
        if (pgdat?.TryOffset("node_present_pages") is not int present)
        {
            return null;
        }

        ulong pages = 0;
        if (program.Symbols.TryGetAddress("node_data", out ulong nodeData))
        {
            int nodes = program.Symbols.TryGetAddress("nr_node_ids", out ulong nrAt) && program.Memory.TryReadUInt64(nrAt, out ulong nr) ? (int)Math.Min((uint)nr, 1024u) : 1;
            for (int i = 0; i < nodes; i++)
            {
                if (program.Memory.TryReadUInt64(nodeData + ((ulong)i * 8), out ulong node) && node != 0 && program.Memory.TryReadUInt64(node + (ulong)present, out ulong p))
                {
                    pages += p;
                }
            }
        }
        else if (program.Symbols.TryGetAddress("contig_page_data", out ulong contig) && program.Memory.TryReadUInt64(contig + (ulong)present, out ulong p))
        {
            pages = p;
        }

        return pages == 0 ? null : pages * (ulong)pageSize;
    }
}
