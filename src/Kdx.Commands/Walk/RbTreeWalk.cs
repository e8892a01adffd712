using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Linux;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Walk;

/// <summary>
/// crash's rbtree_iteration (tools.c): each node, then its left subtree, then its right (with -l: left, node, right),
/// the path from the root as "root/l/r". A child pointer that cannot be followed is reported ("corrupted rb_left
/// pointer") and skipped, as crash does; a node reached twice ends the walk ("duplicate tree entry"); so does a
/// tree deeper than <see cref="WalkLimits.MaxDepth"/>, which no balanced tree reaches.
/// </summary>
internal sealed class RbTreeWalk
{
    private readonly CommandContext _context;
    private readonly TreeRequest _request;
    private readonly EntryPrinter? _printer;
    private readonly KernelProgram _program;
    private readonly ulong _left;
    private readonly ulong _right;
    private readonly HashSet<ulong> _seen = [];

    public RbTreeWalk(CommandContext context, TreeRequest request, EntryPrinter? printer)
    {
        _context = context;
        _request = request;
        _printer = printer;
        _program = context.Session.Program;
        var node = _program.Types.FindType("rb_node", TypeKind.Struct)
            ?? throw new CommandException("red-black trees do not exist or have changed their format");
        try
        {
            _left = KObject.OffsetOf(node, "rb_left");
            _right = KObject.OffsetOf(node, "rb_right");
        }
        catch (KdxException)
        {
            throw new CommandException("red-black trees do not exist or have changed their format");
        }
    }

    public void Run()
    {
        ulong root = _request.NodePointer
            ? _request.Start
            : WalkArguments.ReadPointer(_program, _request.Start, "rb_root rb_node");
        Visit(root, "root", 0);
    }

    private void Visit(ulong node, string position, int depth)
    {
        if (node == 0)
        {
            return;
        }

        if (!_seen.Add(node))
        {
            _context.WriteLine(string.Empty);
            throw new CommandException($"duplicate tree entry: {WalkArguments.Hex(node)} (a child pointer leads back to a node already shown)");
        }

        if (depth >= WalkLimits.Default.MaxDepth)
        {
            throw new CommandException($"rb_node {WalkArguments.Hex(node)} is deeper than {WalkLimits.Default.MaxDepth} levels: the tree is corrupt");
        }

        if (_request.LinearOrder)
        {
            Child(node, _left, position + "/l", "rb_left", depth);
        }

        ulong entry = unchecked(node - _request.NodeOffset);
        _context.WriteLine(WalkArguments.Hex(entry));
        if (_request.Positions)
        {
            _context.WriteLine($"  position: {position}");
        }

        _printer?.Print(_context, entry);
        if (!_request.LinearOrder)
        {
            Child(node, _left, position + "/l", "rb_left", depth);
        }

        Child(node, _right, position + "/r", "rb_right", depth);
    }

    // crash reads the child pointer (an unreadable node only reports the fault) and tests that the child itself
    // can be read before going down to it.
    private void Child(ulong node, ulong offset, string position, string member, int depth)
    {
        ulong child;
        try
        {
            child = WalkArguments.ReadPointer(_program, unchecked(node + offset), $"rb_node {member}");
        }
        catch (CommandException e)
        {
            _context.WriteLine($"tree: {e.Message}");
            return;
        }

        if (child == 0)
        {
            return;
        }

        if (!WalkArguments.CanRead(_program, unchecked(child + _left)))
        {
            _context.WriteLine($"tree: rb_node: {WalkArguments.Hex(node)}: corrupted {member} pointer: {WalkArguments.Hex(child)}");
            return;
        }

        Visit(child, position, depth + 1);
    }
}
