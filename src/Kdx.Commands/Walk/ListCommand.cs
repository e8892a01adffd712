using Kdx.Commands.Infrastructure;

namespace Kdx.Commands.Walk;

/// <summary><c>list</c>: follows a linked list in memory and shows the address of each entry, as crash's list does.</summary>
public sealed class ListCommand : Command
{
    private static readonly OptionParser Options = new("list", "BHhrxd", "sSeoOl");

    /// <inheritdoc/>
    public override string Name => "list";

    /// <inheritdoc/>
    public override string Summary => "linked list";

    /// <inheritdoc/>
    public override string Usage =>
        "list [[-o] offset][-e end][-[s|S] struct[.member[,member] [-l offset]] -[x|d]] [-r|-B] [-h [-O head_offset]|-H] start";

    /// <inheritdoc/>
    public override string Help => """
        Follows a linked list from a start address and shows one address per entry. The "next" pointer of
        each entry is read at an offset in the entry (0 unless given); the walk ends at a NULL pointer, when
        the list comes back to its start or its first entry, at an entry that points to itself, or at -e.

          [-o] offset   where the next pointer is in each entry: a number of bytes or struct.member
                        (with struct.member the -o may be left out).
          -H start      start is a list_head on its own (a LIST_HEAD such as "modules"): it is not shown,
                        the entries are the list_heads after it, or their containers with an offset.
          -h start      start is an entry holding an embedded list_head at the offset; entries are shown
                        by the address of their container.
          -O offset     with -h: the head's list_head is at this offset in the start structure instead.
          -r            with -h/-H: follow list_head.prev, so the list is shown backwards.
          -e end        stop when the next pointer is this address.
          -s struct[.member[,member...]]
                        after each address, show the structure, or the named members, in gdb's style.
          -S ...        as -s (crash reads the members itself; kdx prints them the same way for both).
          -l offset     with -s: the start and the entries are list_heads at this offset in the structure.
          -x / -d       print -s values in hexadecimal / decimal.
          -B            detect a loop with Brent's algorithm instead of remembering every entry.

        An hlist (its hlist_node has next first and the chain ends with NULL) is walked as a singly linked
        list: "list struct.member ADDR", ADDR being the structure that holds the first node.

        A list that loops without coming back to its start ends with "duplicate list entry" after the
        entry seen twice; what was shown up to there is correct.

        Examples:
          kdx> list task_struct.tasks -h init_task
          kdx> list -H modules module.list -s module.name
          kdx> list vmlab_item.node -H vmlab_items -s vmlab_item.id,name
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var request = ListRequest.Parse(context.Session.Program, Options.Parse(args), Usage);
        new ListWalk(context, request).Run();
    }
}
