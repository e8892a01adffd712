using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux;

/// <summary>
/// Walks of the kernel's linked lists (include/linux/list.h), as drgn's list helpers: doubly linked
/// <c>list_head</c> rings and <c>hlist</c> chains. Each walk checks every link (a cycle that does not
/// come back to the head, a broken <c>prev</c> back link when validating, an unreadable node) and
/// ends with a <see cref="CorruptStructureException"/> after the good entries.
/// </summary>
public static class Lists
{
    /// <summary>
    /// The nodes of a list: every <c>struct list_head *</c> after <paramref name="head"/> (a
    /// <c>struct list_head</c> object or a pointer to one), in <c>next</c> order, the head excluded.
    /// </summary>
    public static IEnumerable<KObject> ForEach(KObject head, bool validate = false, WalkLimits? limits = null)
    {
        limits ??= WalkLimits.Default;
        var start = head.UnderlyingType.Kind == TypeKind.Pointer ? head : head.AddressOf();
        ulong headAddress = start.ToUInt64();
        var seen = new HashSet<ulong> { headAddress };
        ulong previous = headAddress;
        var node = start["next"].Read();
        int count = 0;
        while (true)
        {
            ulong address = node.ToUInt64();
            if (address == headAddress)
            {
                yield break;
            }

            string where = $"list_head at {headAddress:x}";
            if (address == 0)
            {
                throw new CorruptStructureException(where, previous, "NULL next pointer");
            }

            if (!seen.Add(address))
            {
                throw new CorruptStructureException(where, previous, $"cycle: next pointer goes back to {address:x}");
            }

            if (++count > limits.MaxEntries)
            {
                throw new CorruptStructureException(where, previous, $"more than {limits.MaxEntries} entries");
            }

            if (validate)
            {
                ulong back = node["prev"].ToUInt64();
                if (back != previous)
                {
                    throw new CorruptStructureException(where, address, $"prev is {back:x}, expected {previous:x}");
                }
            }

            yield return node;
            previous = address;
            node = node["next"].Read();
        }
    }

    /// <summary>
    /// list_for_each_entry: every <paramref name="type"/> (as a pointer) that holds a list node as its
    /// member <paramref name="member"/> (a path like "tasks" or "se.group_node").
    /// </summary>
    public static IEnumerable<KObject> ForEachEntry(KObject head, KType type, string member, bool validate = false, WalkLimits? limits = null) =>
        ForEach(head, validate, limits).Select(n => n.ContainerOf(type, member));

    /// <summary>Whether a list is empty (its head points to itself).</summary>
    public static bool IsEmpty(KObject head)
    {
        var start = head.UnderlyingType.Kind == TypeKind.Pointer ? head : head.AddressOf();
        return start["next"].ToUInt64() == start.ToUInt64();
    }

    /// <summary>
    /// The nodes of an hlist (<c>struct hlist_head</c> or a pointer to one): every
    /// <c>struct hlist_node *</c> from <c>first</c> along <c>next</c> until NULL.
    /// </summary>
    public static IEnumerable<KObject> HlistForEach(KObject head, WalkLimits? limits = null)
    {
        limits ??= WalkLimits.Default;
        var node = head["first"].Read();
        ulong headAddress = head.UnderlyingType.Kind == TypeKind.Pointer ? head.ToUInt64() : head.Address;
        var seen = new HashSet<ulong>();
        int count = 0;
        while (!node.IsNull)
        {
            ulong address = node.ToUInt64();
            if (!seen.Add(address))
            {
                throw new CorruptStructureException($"hlist_head at {headAddress:x}", address, "cycle in the chain");
            }

            if (++count > limits.MaxEntries)
            {
                throw new CorruptStructureException($"hlist_head at {headAddress:x}", address, $"more than {limits.MaxEntries} entries");
            }

            yield return node;
            node = node["next"].Read();
        }
    }

    /// <summary>hlist_for_each_entry.</summary>
    public static IEnumerable<KObject> HlistForEachEntry(KObject head, KType type, string member, WalkLimits? limits = null) =>
        HlistForEach(head, limits).Select(n => n.ContainerOf(type, member));
}
