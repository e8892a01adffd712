using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux;

/// <summary>
/// XArrays and the radix trees and IDRs built on them (include/linux/xarray.h; Linux v4.20 turned the
/// radix tree into an XArray, so <c>struct radix_tree_root</c> is <c>struct xarray</c> and nodes are
/// <c>struct xa_node</c>, older kernels name them <c>radix_tree_node</c> with a <c>rnode</c> root).
/// Entries: a node pointer is tagged with 2 (and above 4096); small tagged values are sibling, retry
/// and zero entries, which hold no item.
/// </summary>
public static class XArray
{
    private const ulong InternalTag = 2;
    private const ulong NodeThreshold = 4096;

    /// <summary>
    /// Every present entry as (index, entry) in index order. <paramref name="root"/> is a
    /// <c>struct xarray</c>, <c>struct radix_tree_root</c>, <c>struct idr</c> (indexes then start at
    /// idr_base) or a pointer to one. Entries are raw values: pointers, or tagged value entries.
    /// </summary>
    public static IEnumerable<(ulong Index, ulong Entry)> Entries(KObject root, WalkLimits? limits = null)
    {
        limits ??= WalkLimits.Default;
        ulong indexBase = 0;
        var r = root;
        if (r.HasMember("idr_rt"))
        {
            indexBase = r.HasMember("idr_base") ? r["idr_base"].ToUInt64() : 0;
            r = r["idr_rt"];
        }

        var headObject = r.HasMember("xa_head") ? r["xa_head"] : r["rnode"];
        ulong head = headObject.ToUInt64();
        ulong rootAddress = r.UnderlyingType.Kind == TypeKind.Pointer ? r.ToUInt64() : r.Address;
        string where = $"xarray at {rootAddress:x}";
        if (head == 0)
        {
            yield break;
        }

        if (!IsNode(head))
        {
            if (!IsInternal(head))
            {
                yield return (indexBase, head);
            }

            yield break;
        }

        var nodeType = root.Program.Types.FindType("xa_node", TypeKind.Struct)
            ?? root.Program.Types.FindType("radix_tree_node", TypeKind.Struct)
            ?? throw new KdxException("no type information for struct xa_node (or radix_tree_node)");
        var walk = new Walk(root.Program, nodeType, where, limits);
        foreach (var (index, entry) in walk.Node(head - InternalTag, 0, 0))
        {
            yield return (indexBase + index, entry);
        }
    }

    /// <summary>Whether an entry is a tagged pointer to a node.</summary>
    public static bool IsNode(ulong entry) => (entry & 3) == InternalTag && entry > NodeThreshold;

    /// <summary>Whether an entry is an internal (tagged) entry.</summary>
    public static bool IsInternal(ulong entry) => (entry & 3) == InternalTag;

    /// <summary>Whether an entry is a value entry (an integer stored in the array, tagged with 1).</summary>
    public static bool IsValue(ulong entry) => (entry & 1) == 1;

    private sealed class Walk(IProgram program, KType nodeType, string where, WalkLimits limits)
    {
        private readonly HashSet<ulong> _seen = [];
        private int _count;

        public IEnumerable<(ulong Index, ulong Entry)> Node(ulong address, ulong nodeBase, int depth)
        {
            if (!_seen.Add(address))
            {
                throw new CorruptStructureException(where, address, "node reached twice (a cycle)");
            }

            if (depth > limits.MaxDepth)
            {
                throw new CorruptStructureException(where, address, $"deeper than {limits.MaxDepth} levels");
            }

            var node = KObject.FromAddress(program, nodeType, address).Read();
            int shift = (int)node["shift"].ToUInt64();
            if (shift > 64 - 6)
            {
                throw new CorruptStructureException(where, address, $"impossible node shift {shift}");
            }

            var slots = node["slots"];
            ulong slotCount = slots.UnderlyingType.Length ?? 64;
            for (ulong i = 0; i < slotCount; i++)
            {
                ulong entry = slots[(long)i].ToUInt64();
                ulong index = nodeBase + (i << shift);
                if (entry == 0)
                {
                    continue;
                }

                if (IsNode(entry))
                {
                    if (shift == 0)
                    {
                        throw new CorruptStructureException(where, address, "a node below a leaf node");
                    }

                    foreach (var e in Node(entry - InternalTag, index, depth + 1))
                    {
                        yield return e;
                    }
                }
                else if (!IsInternal(entry))
                {
                    if (++_count > limits.MaxEntries)
                    {
                        throw new CorruptStructureException(where, address, $"more than {limits.MaxEntries} entries");
                    }

                    yield return (index, entry);
                }
            }
        }
    }
}
