using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux;
using Kdx.Core.Model;

namespace Kdx.Commands.Walk;

/// <summary>
/// The walk of crash's do_list (tools.c): show the entry, remember it, read the next pointer, and stop at NULL, at
/// the end address, back at the start, at an entry pointing to itself, or back at the first entry. An entry seen
/// twice is a loop that never returns to the start: the walk ends with crash's "duplicate list entry" line plus
/// the link that led back.
/// </summary>
internal sealed class ListWalk(CommandContext context, ListRequest request)
{
    private readonly KernelProgram _program = context.Session.Program;

    public void Run()
    {
        if (request.Empty)
        {
            context.WriteLine("(empty)");
            return;
        }

        var printer = EntryPrinter.Create(_program, request.Structs, request.Radix, context.Session.OutputRadix, request.DirectMembers);
        ulong first = WalkArguments.ReadPointer(_program, unchecked(request.Start + request.NextOffset), "first list entry");
        if (request.Brent)
        {
            RunBrent(printer, first);
            return;
        }

        var seen = new HashSet<ulong>();
        ulong next = request.Start;
        ulong shownOffset = request.ListHeadOffset + request.StructListOffset;
        int count = 0;
        while (true)
        {
            ulong entry = unchecked(next - request.ListHeadOffset);
            context.WriteLine(WalkArguments.Hex(entry));
            printer?.Print(context, unchecked(next - shownOffset));
            if (next != 0 && !seen.Add(entry))
            {
                Duplicate(next);
            }

            if (count == WalkLimits.Default.MaxEntries)
            {
                throw new CommandException($"more than {WalkLimits.Default.MaxEntries} entries: stopped");
            }

            count++;
            ulong last = next;
            ulong linkAt = unchecked(next + request.NextOffset);
            next = WalkArguments.ReadPointer(_program, linkAt, "list entry");
            if (IsEnd(next, last, first, count, linkAt))
            {
                return;
            }
        }
    }

    private bool IsEnd(ulong next, ulong last, ulong first, int count, ulong linkAt)
    {
        if (next == 0)
        {
            if (request.HeadFormat)
            {
                // A list_head ring never holds NULL: crash says "invalid list entry: 0"; kdx also names the link.
                context.WriteLine(string.Empty);
                throw new CommandException($"invalid list entry: 0 (NULL next pointer at {WalkArguments.Hex(linkAt)})");
            }

            return true;
        }

        return next == request.End || next == request.Start || next == last || (next == first && count != 1);
    }

    private void Duplicate(ulong next)
    {
        context.WriteLine(string.Empty);
        throw new CommandException($"duplicate list entry: {WalkArguments.Hex(next)} (the list loops back to an entry already shown, without returning to its start)");
    }

    // crash's do_list_no_hash (-B): R. P. Brent's cycle detection in constant memory. Entries are shown until the
    // loop is found; then the loop's length and the distance to it are reported, and the entry where it starts.
    private void RunBrent(EntryPrinter? printer, ulong first)
    {
        ulong shownOffset = request.ListHeadOffset + request.StructListOffset;
        ulong Step(ulong link) => WalkArguments.ReadPointer(_program, unchecked(link + request.NextOffset), "list entry");
        ulong next = request.Start;
        ulong tortoise = next, hare = Step(next), power = 2, lambda = 0, mu = 0;
        bool loopFound = false, loopExit = false;
        int count = 0;
        while (true)
        {
            if (!loopFound)
            {
                context.WriteLine(WalkArguments.Hex(unchecked(next - request.ListHeadOffset)));
                printer?.Print(context, unchecked(next - shownOffset));
            }

            if (next != 0 && loopExit)
            {
                context.WriteLine(string.Empty);
                throw new CommandException($"duplicate list entry: {WalkArguments.Hex(tortoise)}");
            }

            count++;
            ulong last = next;
            ulong linkAt = unchecked(next + request.NextOffset);
            next = Step(next);
            if (!loopFound)
            {
                if (count > 1 && tortoise == hare)
                {
                    loopFound = true;
                    context.WriteLine($"list: loop detected, loop length: {lambda}");
                    tortoise = hare = request.Start;
                    for (; lambda > 0; lambda--)
                    {
                        hare = Step(hare);
                    }
                }
                else
                {
                    if (power == lambda)
                    {
                        tortoise = hare;
                        power *= 2;
                        lambda = 0;
                    }

                    hare = next;
                    lambda++;
                }
            }
            else if (!loopExit && tortoise == hare)
            {
                loopExit = true;
                context.Out.Write($"list: length from start to loop: {mu:x}");
            }
            else
            {
                tortoise = Step(tortoise);
                hare = Step(hare);
                mu++;
            }

            if (IsEnd(next, last, first, count, linkAt))
            {
                return;
            }
        }
    }
}
