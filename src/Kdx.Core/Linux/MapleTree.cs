using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux;

/// <summary>
/// Maple trees (lib/maple_tree.c, Linux v6.1: VMAs moved into <c>mm_struct.mm_mt</c>, commit
/// d4af56c5c7c6 "mm: start tracking VMAs with maple tree"). An encoded node pointer keeps the node
/// type in bits 3–6 (maple_dense, maple_leaf_64, maple_range_64, maple_arange_64) and the node in the
/// bits above 8; a node holds slots and the pivots that end each slot's range. The walk follows
/// mt_dump()'s rules: a zero pivot after the first slot ends a node, a pivot equal to the node's
/// maximum ends it too. Slot and pivot counts come from the kernel's own types.
/// </summary>
public static class MapleTree
{
    private const ulong NodeMask = 255;
    private const int TypeShift = 3;
    private const ulong TypeMask = 0x0f;
    private const int Dense = 0;
    private const int Leaf64 = 1;
    private const int Range64 = 2;
    private const int ARange64 = 3;

    /// <summary>
    /// Every non-NULL entry of the tree as (first, last, entry): <paramref name="tree"/> is a
    /// <c>struct maple_tree</c> or a pointer to one. Internal entries (reserved values below 4096
    /// tagged with 2) are skipped.
    /// </summary>
    public static IEnumerable<(ulong First, ulong Last, ulong Entry)> Entries(KObject tree, WalkLimits? limits = null)
    {
        limits ??= WalkLimits.Default;
        ulong root = tree["ma_root"].ToUInt64();
        ulong treeAddress = tree.UnderlyingType.Kind == TypeKind.Pointer ? tree.ToUInt64() : tree.Address;
        if (root == 0)
        {
            yield break;
        }

        if (!XArray.IsNode(root))
        {
            if (!XArray.IsInternal(root))
            {
                yield return (0, 0, root);
            }

            yield break;
        }

        var nodeType = tree.Program.Types.FindType("maple_node", TypeKind.Struct)
            ?? throw new KdxException("no type information for struct maple_node");
        var walk = new Walk(tree.Program, nodeType, $"maple_tree at {treeAddress:x}", limits);
        ulong max = TypeOf(root) == Dense ? (ulong)walk.DenseSlots : ulong.MaxValue;
        foreach (var e in walk.Node(root, 0, max, 0))
        {
            yield return e;
        }
    }

    private static int TypeOf(ulong encoded) => (int)((encoded >> TypeShift) & TypeMask);

    private sealed class Walk(IProgram program, KType nodeType, string where, WalkLimits limits)
    {
        private readonly HashSet<ulong> _seen = [];
        private int _count;

        public int DenseSlots => (int)(nodeType.TryFindMember("slot", out var m, out _) ? m.Type.Type.Unaliased().Length ?? 31 : 31);

        public IEnumerable<(ulong First, ulong Last, ulong Entry)> Node(ulong encoded, ulong min, ulong max, int depth)
        {
            ulong address = encoded & ~NodeMask;
            int type = TypeOf(encoded);
            if (!_seen.Add(address))
            {
                throw new CorruptStructureException(where, address, "node reached twice (a cycle)");
            }

            if (depth > limits.MaxDepth)
            {
                throw new CorruptStructureException(where, address, $"deeper than {limits.MaxDepth} levels");
            }

            var node = KObject.FromAddress(program, nodeType, address).Read();
            if (type == Dense)
            {
                var slots = node["slot"];
                ulong n = slots.UnderlyingType.Length ?? 0;
                for (ulong i = 0; i < n && min + i <= max; i++)
                {
                    ulong entry = slots[(long)i].ToUInt64();
                    if (entry != 0 && !XArray.IsInternal(entry) && Counted(address))
                    {
                        yield return (min + i, min + i, entry);
                    }
                }

                yield break;
            }

            if (type is not (Leaf64 or Range64 or ARange64))
            {
                throw new CorruptStructureException(where, address, $"unknown node type {type}");
            }

            var body = node[type == ARange64 ? "ma64" : "mr64"];
            var pivots = body["pivot"];
            var slotArray = body["slot"];
            int slotCount = (int)(slotArray.UnderlyingType.Length ?? 0);
            int pivotCount = (int)(pivots.UnderlyingType.Length ?? 0);
            bool leaf = type == Leaf64;
            ulong first = min;
            for (int i = 0; i < slotCount; i++)
            {
                ulong entry = slotArray[i].ToUInt64();
                ulong last = max;
                if (i < pivotCount)
                {
                    last = pivots[i].ToUInt64();
                }
                else if (entry == 0)
                {
                    break;
                }

                if (last == 0 && i > 0)
                {
                    break;
                }

                if (last > max)
                {
                    throw new CorruptStructureException(where, address, $"pivot {i} ({last:x}) above the node's maximum ({max:x})");
                }

                if (leaf)
                {
                    if (entry != 0 && !XArray.IsInternal(entry) && Counted(address))
                    {
                        yield return (first, last, entry);
                    }
                }
                else if (entry != 0)
                {
                    foreach (var e in Node(entry, first, last, depth + 1))
                    {
                        yield return e;
                    }
                }

                if (last == max)
                {
                    break;
                }

                first = last + 1;
            }
        }

        private bool Counted(ulong address)
        {
            if (++_count > limits.MaxEntries)
            {
                throw new CorruptStructureException(where, address, $"more than {limits.MaxEntries} entries");
            }

            return true;
        }
    }
}
