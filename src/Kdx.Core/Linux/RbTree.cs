using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux;

/// <summary>
/// Red-black trees (include/linux/rbtree.h): <c>struct rb_root { struct rb_node *rb_node; }</c>,
/// <c>struct rb_node { unsigned long __rb_parent_color; rb_right; rb_left; }</c>. In-order walks with
/// a depth bound and cycle detection.
/// </summary>
public static class RbTree
{
    /// <summary>
    /// Every <c>struct rb_node *</c> of a tree in order (<paramref name="root"/>: a <c>struct rb_root</c>,
    /// <c>struct rb_root_cached</c>, or a pointer to either).
    /// </summary>
    public static IEnumerable<KObject> InOrder(KObject root, WalkLimits? limits = null)
    {
        limits ??= WalkLimits.Default;
        var r = root.HasMember("rb_root") ? root["rb_root"] : root;
        ulong rootAddress = r.UnderlyingType.Kind == TypeKind.Pointer ? r.ToUInt64() : r.Address;
        string where = $"rb_root at {rootAddress:x}";
        var stack = new Stack<KObject>();
        var seen = new HashSet<ulong>();
        var node = r["rb_node"].Read();
        int count = 0;
        while (!node.IsNull || stack.Count > 0)
        {
            while (!node.IsNull)
            {
                ulong a = node.ToUInt64();
                if (!seen.Add(a))
                {
                    throw new CorruptStructureException(where, a, "node reached twice (a cycle)");
                }

                if (stack.Count >= limits.MaxDepth)
                {
                    throw new CorruptStructureException(where, a, $"deeper than {limits.MaxDepth} levels");
                }

                stack.Push(node);
                node = node["rb_left"].Read();
            }

            node = stack.Pop();
            if (++count > limits.MaxEntries)
            {
                throw new CorruptStructureException(where, node.ToUInt64(), $"more than {limits.MaxEntries} nodes");
            }

            yield return node;
            node = node["rb_right"].Read();
        }
    }

    /// <summary>rbtree_postorder/inorder_for_each_entry: the containers of the nodes, in order.</summary>
    public static IEnumerable<KObject> InOrderEntries(KObject root, KType type, string member, WalkLimits? limits = null) =>
        InOrder(root, limits).Select(n => n.ContainerOf(type, member));
}
