using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux.Mm;

/// <summary>One virtual memory area (struct vm_area_struct) of a user address space.</summary>
/// <param name="Address">The vm_area_struct.</param>
/// <param name="Start">vm_start.</param>
/// <param name="End">vm_end (exclusive).</param>
/// <param name="Flags">vm_flags (VM_READ 1, VM_WRITE 2, VM_EXEC 4, VM_SHARED 8 …, include/linux/mm.h).</param>
/// <param name="File">vm_file (0 for anonymous memory).</param>
public sealed record VmArea(ulong Address, ulong Start, ulong End, ulong Flags, ulong File);

/// <summary>
/// The VMAs of an mm_struct, in address order, from wherever the kernel keeps them: the maple tree
/// <c>mm->mm_mt</c> (v6.1, commit d4af56c5c7c6 "mm: start tracking VMAs with maple tree"; the list
/// <c>mm->mmap</c> went in commit 763ecb035029 "mm: remove the vma linked list"), else the older list
/// <c>mm->mmap</c> linked by <c>vm_next</c>. The layout is chosen by the members the kernel has, not its version.
/// A damaged tree or list ends the walk with a problem; the VMAs read so far are kept.
/// </summary>
public static class VmAreas
{
    /// <summary>Reads the VMAs of the mm_struct at <paramref name="mm"/>; what went wrong goes to <paramref name="problems"/>.</summary>
    public static List<VmArea> Read(IProgram program, ulong mm, List<string> problems, WalkLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(problems);
        limits ??= WalkLimits.Default;
        var mmType = program.Types.FindType("mm_struct", TypeKind.Struct) ?? throw new KdxException("no type information for struct mm_struct");
        var vma = StructLayout.Find(program.Types, "vm_area_struct");
        int start = vma.Offset("vm_start");
        int end = vma.Offset("vm_end");
        int flags = vma.Offset("vm_flags");
        int file = vma.Offset("vm_file");
        var result = new List<VmArea>();
        var memory = program.Memory;

        void Add(ulong at, string where)
        {
            if (memory.TryReadUInt64(at + (ulong)start, out ulong s) && memory.TryReadUInt64(at + (ulong)end, out ulong e) &&
                memory.TryReadUInt64(at + (ulong)flags, out ulong f) && memory.TryReadUInt64(at + (ulong)file, out ulong fp))
            {
                result.Add(new VmArea(at, s, e, f, fp));
            }
            else
            {
                problems.Add($"{where}: vm_area_struct at {at:x} is unreadable");
            }
        }

        var mmObject = KObject.FromAddress(program, new QualifiedType(mmType), mm);
        string what = $"mm_struct {mm:x}";
        try
        {
            if (mmObject.HasMember("mm_mt"))
            {
                foreach (var (_, _, entry) in MapleTree.Entries(mmObject["mm_mt"], limits))
                {
                    Add(entry, what + " mm_mt");
                }
            }
            else
            {
                int next = vma.Offset("vm_next");
                var seen = new HashSet<ulong>();
                ulong at = memory.ReadUInt64(mm + (ulong)StructLayout.Find(program.Types, "mm_struct").Offset("mmap"), "mm_struct.mmap");
                while (at != 0)
                {
                    if (!seen.Add(at) || seen.Count > limits.MaxEntries)
                    {
                        problems.Add($"{what} mmap list: a loop at vm_area_struct {at:x}; the walk stops there");
                        break;
                    }

                    Add(at, what + " mmap");
                    if (!memory.TryReadUInt64(at + (ulong)next, out ulong following))
                    {
                        problems.Add($"{what} mmap list: vm_next of {at:x} is unreadable; the walk stops there");
                        break;
                    }

                    at = following;
                }
            }
        }
        catch (KdxException e)
        {
            problems.Add($"{what}: {e.Message}; the VMAs read so far are shown");
        }

        Check(result, problems, what);
        return result;
    }

    // VMAs never overlap and are kept in address order; a list or tree that says otherwise is damaged.
    private static void Check(List<VmArea> areas, List<string> problems, string what)
    {
        for (int i = 0; i < areas.Count; i++)
        {
            if (areas[i].End <= areas[i].Start)
            {
                problems.Add($"{what}: vm_area_struct {areas[i].Address:x} is empty or reversed ({areas[i].Start:x}-{areas[i].End:x})");
            }
            else if (i > 0 && areas[i].Start < areas[i - 1].End)
            {
                problems.Add($"{what}: vm_area_struct {areas[i].Address:x} ({areas[i].Start:x}) overlaps or precedes the one before it (ends {areas[i - 1].End:x})");
            }
        }
    }
}
