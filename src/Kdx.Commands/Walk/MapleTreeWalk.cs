using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Walk;

/// <summary>
/// <c>tree -t maple</c>, shown as crash 8.0.3's maple_tree.c shows it (crash 8.0.2 has no maple trees): every non-NULL
/// slot of a leaf, in index order; "-p" gives a running count and the slot path ("root/3/0/5"). The node rules are
/// lib/maple_tree.c's (Linux v6.1): an encoded node keeps its type in bits 3-6 and the node above bit 8; a zero pivot
/// after slot 0 or a pivot reaching the node's maximum ends a node. A node reached twice, a pivot above its node's
/// maximum or an unknown node type is reported and ends the walk of that node.
/// </summary>
internal sealed class MapleTreeWalk
{
    private const ulong NodeMask = 255;
    private const int Dense = 0;
    private const int Leaf64 = 1;
    private const int Range64 = 2;
    private const int ARange64 = 3;
    private readonly CommandContext _context;
    private readonly TreeRequest _request;
    private readonly EntryPrinter? _printer;
    private readonly KernelProgram _program;
    private readonly KType _nodeType;
    private readonly HashSet<ulong> _seen = [];
    private long _count;

    public MapleTreeWalk(CommandContext context, TreeRequest request, EntryPrinter? printer)
    {
        _context = context;
        _request = request;
        _printer = printer;
        _program = context.Session.Program;
        _nodeType = _program.Types.FindType("maple_node", TypeKind.Struct)
            ?? throw new CommandException("maple trees do not exist in this kernel (no struct maple_node)");
    }

    public void Run()
    {
        if (_request.NodePointer)
        {
            Node(_request.Start, 0, MaxOf(_request.Start), "direct", 0);
            return;
        }

        var tree = _program.Types.FindType("maple_tree", TypeKind.Struct)
            ?? throw new CommandException("maple trees do not exist in this kernel (no struct maple_tree)");
        ulong root = WalkArguments.ReadPointer(_program, unchecked(_request.Start + KObject.OffsetOf(tree, "ma_root")), "maple_tree ma_root");
        if (!XArray.IsNode(root))
        {
            Entry(root, string.Empty, 0);
        }
        else
        {
            Node(root, 0, MaxOf(root), "root", 0);
        }
    }

    private static int TypeOf(ulong encoded) => (int)((encoded >> 3) & 0x0f);

    private ulong MaxOf(ulong encoded) => TypeOf(encoded) == Dense ? (ulong)(SlotsOf(_nodeType, "slot") ?? 31) : ulong.MaxValue;

    private static int? SlotsOf(KType type, string member) =>
        type.TryFindMember(member, out var m, out _) ? (int?)m.Type.Type.Unaliased().Length : null;

    private void Node(ulong encoded, ulong min, ulong max, string path, int depth)
    {
        ulong address = encoded & ~NodeMask;
        if (!_seen.Add(address))
        {
            _context.WriteLine(string.Empty);
            throw new CommandException($"duplicate tree node: {WalkArguments.Hex(address)} (a slot leads back to a node already walked)");
        }

        if (depth >= WalkLimits.Default.MaxDepth)
        {
            throw new CommandException($"maple_node {WalkArguments.Hex(address)} is deeper than {WalkLimits.Default.MaxDepth} levels: the tree is corrupt");
        }

        var node = KObject.FromAddress(_program, _nodeType, address).Read();
        int type = TypeOf(encoded);
        if (type == Dense)
        {
            var slots = node["slot"];
            long n = (long)(slots.UnderlyingType.Length ?? 0);
            for (long i = 0; i < n; i++)
            {
                if (min + (ulong)i > max)
                {
                    _context.Out.Write("OUT OF RANGE: ");
                }

                Entry(slots[i].ToUInt64(), path, (int)i);
            }

            return;
        }

        if (type is not (Leaf64 or Range64 or ARange64))
        {
            _context.WriteLine($" UNKNOWN TYPE (maple node {WalkArguments.Hex(address)}, type {type})");
            return;
        }

        var body = node[type == ARange64 ? "ma64" : "mr64"];
        var pivots = body["pivot"];
        var slotArray = body["slot"];
        int slotCount = (int)(slotArray.UnderlyingType.Length ?? 0);
        bool leaf = type == Leaf64;
        ulong first = min;
        for (int i = 0; i < slotCount; i++)
        {
            ulong slot = slotArray[i].ToUInt64();
            ulong last = max;
            if (i < slotCount - 1)
            {
                last = pivots[i].ToUInt64();
            }
            else if (slot == 0 && (type == ARange64 || max != ulong.MaxValue))
            {
                break;
            }

            if (last == 0 && i > 0)
            {
                break;
            }

            if (leaf)
            {
                Entry(slot, path, i);
            }
            else if (slot != 0)
            {
                Node(slot, first, last, $"{path}/{i}", depth + 1);
            }

            if (last == max)
            {
                break;
            }

            if (last > max)
            {
                _context.WriteLine($"node {WalkArguments.Hex(address)} last ({last}) > max ({max}) at pivot {i}!");
                break;
            }

            first = last + 1;
        }
    }

    private void Entry(ulong entry, string path, int slot)
    {
        if (entry == 0)
        {
            return;
        }

        _context.WriteLine(WalkArguments.Hex(entry));
        if (_request.Positions)
        {
            _context.WriteLine($"  index: {++_count}  position: {path}/{slot}");
        }

        _printer?.Print(_context, entry);
    }
}
