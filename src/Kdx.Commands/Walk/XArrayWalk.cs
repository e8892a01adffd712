using Kdx.Commands.Infrastructure;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Walk;

/// <summary>
/// crash's do_xarray_traverse (tools.c), for <c>tree -t xarray</c> and, on XArray kernels, <c>-t radix</c>: the
/// height comes from the top node's shift (include/linux/xarray.h: XA_CHUNK_SHIFT bits a level, from the length of
/// xa_node.slots); every non-NULL slot of a bottom node is an entry, shown as it is stored (an internal entry loses
/// its tag 2, as crash strips it); every non-NULL slot above is a node. "-p" shows the index and the slot path.
/// A head that is not a node is the only entry, at index 0 ("direct").
/// </summary>
internal sealed class XArrayWalk
{
    private const ulong TagMask = 3;
    private const ulong InternalTag = 2;
    private readonly CommandContext _context;
    private readonly TreeRequest _request;
    private readonly EntryPrinter? _printer;
    private readonly KernelProgram _program;
    private readonly ulong _headOffset;
    private readonly ulong _slotsOffset;
    private readonly ulong _shiftOffset;
    private readonly int _chunkShift;
    private readonly HashSet<ulong> _seen = [];

    public XArrayWalk(CommandContext context, TreeRequest request, EntryPrinter? printer)
    {
        _context = context;
        _request = request;
        _printer = printer;
        _program = context.Session.Program;
        var xarray = _program.Types.FindType("xarray", TypeKind.Struct);
        var node = _program.Types.FindType("xa_node", TypeKind.Struct);
        if (xarray is null || node is null || !node.TryFindMember("slots", out var slots, out ulong slotBits)
            || !node.TryFindMember("shift", out _, out ulong shiftBits) || !xarray.TryFindMember("xa_head", out _, out ulong headBits))
        {
            throw new CommandException("xarray facility does not exist or has changed its format");
        }

        ulong count = slots.Type.Type.Unaliased().Length ?? 0;
        if (count is 0 or > 1024 || (count & (count - 1)) != 0)
        {
            throw new CommandException("cannot determine length of xa_node.slots[] array");
        }

        _headOffset = headBits / 8;
        _slotsOffset = slotBits / 8;
        _shiftOffset = shiftBits / 8;
        _chunkShift = System.Numerics.BitOperations.TrailingZeroCount(count);
    }

    private ulong ChunkSize => 1UL << _chunkShift;

    public void Run()
    {
        ulong node;
        int height = 0;
        if (_request.NodePointer)
        {
            node = _request.Start;
            if ((node & TagMask) == InternalTag)
            {
                node &= ~TagMask;
            }

            height = Height(node);
        }
        else
        {
            node = WalkArguments.ReadPointer(_program, unchecked(_request.Start + _headOffset), "xarray xa_head");
            bool isNode = (node & TagMask) == InternalTag;
            node &= ~TagMask;
            if (isNode)
            {
                height = Height(node);
            }
        }

        if (height == 0)
        {
            Entry(node, "direct", 0);
            return;
        }

        Node(node, height, "root", 0);
    }

    private int Height(ulong node)
    {
        Span<byte> shift = stackalloc byte[1];
        var status = _program.Kernel.Read(unchecked(node + _shiftOffset), shift, out _);
        if (status != Kdx.Core.Memory.ReadStatus.Ok)
        {
            WalkArguments.ReadPointer(_program, unchecked(node + _shiftOffset), "xa_node shift");
        }

        return (shift[0] / _chunkShift) + 1;
    }

    private void Node(ulong node, int height, string path, ulong index)
    {
        if (!_seen.Add(node))
        {
            _context.WriteLine(string.Empty);
            throw new CommandException($"duplicate tree node: {WalkArguments.Hex(node)} (a slot leads back to a node already walked)");
        }

        int shift = (height - 1) * _chunkShift;
        if (shift >= 64)
        {
            throw new CommandException($"xa_node {WalkArguments.Hex(node)}: height {height} is impossible for 64-bit indexes: the node is corrupt");
        }

        for (ulong off = 0; off < ChunkSize; off++)
        {
            ulong slot = WalkArguments.ReadPointer(_program, unchecked(node + _slotsOffset + (8 * off)), "xa_node.slots[off]");
            if (slot == 0)
            {
                continue;
            }

            if ((slot & TagMask) == InternalTag)
            {
                slot &= ~InternalTag;
            }

            if (height == 1)
            {
                Entry(slot, path, index | off);
            }
            else
            {
                Node(slot, height - 1, $"{path}/{off}", index | (off << shift));
            }
        }
    }

    private void Entry(ulong slot, string path, ulong index)
    {
        _context.WriteLine(WalkArguments.Hex(slot));
        if (_request.Positions)
        {
            _context.WriteLine($"  index: {(long)index}  position: {path}/{(long)(index & (ChunkSize - 1))}");
        }

        if (slot != 0)
        {
            _printer?.Print(_context, slot);
        }
    }
}
