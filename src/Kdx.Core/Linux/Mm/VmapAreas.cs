using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Mm;

/// <summary>One busy vmalloc area (struct vmap_area with its vm_struct).</summary>
/// <param name="Area">The vmap_area.</param>
/// <param name="Vm">vmap_area.vm: the vm_struct.</param>
/// <param name="Start">va_start.</param>
/// <param name="End">va_end (the guard page included).</param>
public sealed record VmapArea(ulong Area, ulong Vm, ulong Start, ulong End)
{
    /// <summary>Whether <paramref name="address"/> is in the area.</summary>
    public bool Contains(ulong address) => address >= Start && address < End;
}

/// <summary>
/// The kernel's busy vmalloc areas, sorted by address: the vmap_area_list until Linux v6.9, then each
/// vmap_node's busy list (commit d093602919ad, "mm: vmalloc: remove global vmap_area_root rb-tree" split the
/// busy tree per node). Areas without a vm_struct (lazily freed, or vm_map_ram) are left out, as crash does.
/// </summary>
public static class VmapAreas
{
    private const int MaxAreas = 1 << 22;

    /// <summary>Reads the busy areas; problems (a broken list) are added to <paramref name="problems"/>.</summary>
    public static IReadOnlyList<VmapArea> Read(IProgram program, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(problems);
        var va = StructLayout.TryFind(program.Types, "vmap_area");
        if (va is null)
        {
            problems.Add("no type information for struct vmap_area");
            return [];
        }

        int start = va.Offset("va_start"), end = va.Offset("va_end"), list = va.Offset("list"), vm = va.Offset("vm");
        var areas = new List<VmapArea>();
        var memory = program.Memory;
        void Walk(ulong head, string what)
        {
            var seen = new HashSet<ulong>();
            ulong next = memory.TryReadUInt64(head, out ulong n) ? n : head;
            while (next != head && next != 0)
            {
                ulong area = next - (ulong)list;
                if (!seen.Add(area) || areas.Count > MaxAreas)
                {
                    problems.Add($"{what} loops back to vmap_area {area:x}");
                    return;
                }

                if (!memory.TryReadUInt64(area + (ulong)start, out ulong s) || !memory.TryReadUInt64(area + (ulong)end, out ulong e)
                    || !memory.TryReadUInt64(area + (ulong)vm, out ulong v) || !memory.TryReadUInt64(next, out next))
                {
                    problems.Add($"{what}: cannot read vmap_area {area:x}");
                    return;
                }

                if (v != 0)
                {
                    areas.Add(new VmapArea(area, v, s, e));
                }
            }
        }

        if (program.Symbols.TryGetAddress("vmap_area_list", out ulong listHead))
        {
            Walk(listHead, "vmap_area_list");
        }
        else if (program.Symbols.TryGetAddress("vmap_nodes", out ulong nodesPtr) && program.Symbols.TryGetAddress("nr_vmap_nodes", out ulong nrPtr)
            && StructLayout.TryFind(program.Types, "vmap_node") is { } node && node.TryOffset("busy.head") is { } busy
            && memory.TryReadUInt64(nodesPtr, out ulong nodes) && memory.Read(nrPtr, stackalloc byte[4], out _) == ReadStatus.Ok)
        {
            uint count = Math.Min(memory.ReadUInt32(nrPtr, "nr_vmap_nodes"), 4096);
            for (uint i = 0; i < count; i++)
            {
                Walk(nodes + ((ulong)i * (ulong)node.Size) + (ulong)busy, $"vmap_nodes[{i}].busy");
            }
        }
        else
        {
            problems.Add("the kernel has neither vmap_area_list nor vmap_nodes");
        }

        areas.Sort((a, b) => a.Start.CompareTo(b.Start));
        return areas;
    }
}
