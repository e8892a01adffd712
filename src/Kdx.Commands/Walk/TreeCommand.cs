using Kdx.Commands.Infrastructure;
using Kdx.Core.Types;

namespace Kdx.Commands.Walk;

/// <summary>
/// <c>tree</c>: shows the entries of a red-black tree, a radix tree / XArray or a maple tree, as crash's tree does
/// (tools.c cmd_tree; maple trees as crash 8.0.3's maple_tree.c shows them, crash 8.0.2 has none).
/// </summary>
public sealed class TreeCommand : Command
{
    private static readonly OptionParser Options = new("tree", "xdplN", "trosS");

    /// <inheritdoc/>
    public override string Name => "tree";

    /// <inheritdoc/>
    public override string Summary => "tree contents";

    /// <inheritdoc/>
    public override string Usage =>
        "tree [-t [radix|xarray|rbtree|maple]] [-r offset] [-[s|S] struct[.member[,member]]] -[x|d] [-o offset] [-l] [-p] [-N] start";

    /// <inheritdoc/>
    public override string Help => """
        Shows the address of every entry of a tree. The start is the tree's root (a symbol, an expression or a
        hexadecimal address), or a structure holding the root at the -r offset.

          -t rbtree   a red-black tree (struct rb_root; the default). Entries are shown root first, then the
                      left subtree, then the right one; -l shows them in order (leftmost first).
          -t radix    a radix tree; on kernels where radix trees are XArrays (v4.20 on), the same as xarray.
          -t xarray   an XArray (struct xarray, the page cache's i_pages, an IDR's idr_rt).
          -t maple    a maple tree (struct maple_tree, e.g. mm_struct.mm_mt; Linux v6.1 on).
          -r offset   the root is at this offset (a number or struct.member) in the start structure.
          -o offset   rbtree: the rb_node is at this offset in each entry, so the entry's address is shown.
          -N          the start is a node (rb_node, xa_node or an encoded maple node), not a root.
          -p          show where each entry is: "position: root/l/r" for rbtrees, the index and the slot
                      path for XArrays and maple trees.
          -s struct[.member[,member]]
                      after each address, show the structure, or the named members, in gdb's style.
          -S ...      as -s.
          -x / -d     print -s values in hexadecimal / decimal.

        A node reached twice ends the walk with "duplicate tree entry"; what was shown before is correct.

        Examples:
          kdx> tree -t rbtree -o vmap_area.rb_node vmap_area_root
          kdx> tree -t xarray -r pid_namespace.idr init_pid_ns -p
          kdx> tree -t maple -r mm_struct.mm_mt ffff888003a8c000
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var request = TreeRequest.Parse(context.Session.Program, Options.Parse(args), Usage);
        var program = context.Session.Program;
        var printer = EntryPrinter.Create(program, request.Structs, request.Radix, context.Session.OutputRadix, request.DirectMembers);
        switch (request.Kind)
        {
            case TreeKind.RbTree:
                new RbTreeWalk(context, request, printer).Run();
                break;
            case TreeKind.XArray:
                new XArrayWalk(context, request, printer).Run();
                break;
            case TreeKind.Maple:
                new MapleTreeWalk(context, request, printer).Run();
                break;
            default:
                throw new CommandException("radix trees do not exist or have changed their format");
        }
    }

    /// <summary>Whether the kernel's radix trees are XArrays (Linux v4.20, commit f8d5d0cc145c: the struct is gone).</summary>
    internal static bool RadixIsXArray(Kdx.Core.Model.KernelProgram program) =>
        program.Types.FindType("xarray", TypeKind.Struct) is not null;
}
