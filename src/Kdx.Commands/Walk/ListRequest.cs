using Kdx.Commands.Infrastructure;
using Kdx.Core.Model;

namespace Kdx.Commands.Walk;

/// <summary>
/// A <c>list</c> command line, read by crash's rules (tools.c cmd_list): which word is the start and which the
/// offset, then the list_head forms (-h, -H, -O, -r) turned into a start, an end and the offsets to the next
/// pointer and to the shown entry.
/// </summary>
internal sealed class ListRequest
{
    /// <summary>The first entry to show (as a link address; the entry shown is this minus <see cref="ListHeadOffset"/>).</summary>
    public ulong Start { get; private set; }

    /// <summary>Where the next pointer is, from a link address.</summary>
    public ulong NextOffset { get; private set; }

    /// <summary>The offset of the list_head in each shown entry (-h/-H with an offset), else 0.</summary>
    public ulong ListHeadOffset { get; private set; }

    /// <summary>-l: with -s, the offset of the link in the structure printed.</summary>
    public ulong StructListOffset { get; private set; }

    /// <summary>-e, or the head of a -H list: the walk stops when the next pointer is this; 0 for none.</summary>
    public ulong End { get; private set; }

    /// <summary>-h or -H: a NULL next pointer is an error, not the end.</summary>
    public bool HeadFormat { get; private set; }

    /// <summary>The list is empty (a -H head or -O head that points to itself): crash prints "(empty)".</summary>
    public bool Empty { get; private set; }

    /// <summary>-B.</summary>
    public bool Brent { get; private set; }

    /// <summary>The -s/-S arguments in order.</summary>
    public IReadOnlyList<string> Structs { get; private set; } = [];

    /// <summary>-S: members read straight from memory, printed without gdb's separating commas.</summary>
    public bool DirectMembers { get; private set; }

    /// <summary>-x: 16, -d: 10, else 0 (the session's radix).</summary>
    public int Radix { get; private set; }

    public static ListRequest Parse(KernelProgram program, ParsedOptions options, string usage)
    {
        var r = new ListRequest();
        bool headPointer = false, reverse = false, offsetEntered = false, headOffsetEntered = false;
        ulong offset = 0, headOffset = 0, end = 0;
        var structs = new List<string>();
        foreach (var (name, value) in options.InOrder)
        {
            switch (name)
            {
                case "B": r.Brent = true; break;
                case "H": r.HeadFormat = true; headPointer = true; break;
                case "h": r.HeadFormat = true; break;
                case "r": reverse = true; break;
                case "s" or "S":
                    structs.Add(value!);
                    r.DirectMembers |= name == "S";
                    if (options.Has("s") && options.Has("S"))
                    {
                        throw new CommandException("-S and -s options are mutually exclusive");
                    }

                    break;
                case "l": r.StructListOffset = WalkArguments.ParseOffset(program, value!, "list", 'l'); break;
                case "O":
                    if (headOffsetEntered)
                    {
                        throw new CommandException($"offset value {(long)headOffset} (0x{headOffset:x}) already entered");
                    }

                    headOffset = WalkArguments.ParseOffset(program, value!, "list", 'O');
                    headOffsetEntered = true;
                    break;
                case "o":
                    if (offsetEntered)
                    {
                        throw new CommandException($"offset value {(long)offset} (0x{offset:x}) already entered");
                    }

                    offset = WalkArguments.ParseOffset(program, value!, "list", 'o');
                    offsetEntered = true;
                    break;
                case "e": end = ParseAddress(program, value!); break;
                case "x" or "d":
                    if (options.Has("x") && options.Has("d"))
                    {
                        throw new CommandException("-d and -x are mutually exclusive");
                    }

                    r.Radix = name == "x" ? 16 : 10;
                    break;
            }
        }

        if (options.Positionals.Count > 2)
        {
            throw new CommandException($"too many arguments (usage: {usage})");
        }

        if (structs.Count == 0 && r.StructListOffset != 0)
        {
            throw new CommandException($"-l option can only be used with -s or -S option (usage: {usage})");
        }

        r.Structs = structs;
        bool startEntered = false;
        ulong start = 0;
        ReadPositionals(program, options.Positionals, ref start, ref startEntered, ref offset, ref offsetEntered);
        if (!startEntered)
        {
            throw new CommandException($"starting address required (usage: {usage})");
        }

        if (offsetEntered && r.StructListOffset != 0)
        {
            throw new CommandException($"-l and -o are mutually exclusive (usage: {usage})");
        }

        r.NextOffset = offset;
        r.End = end;
        if (r.HeadFormat)
        {
            // The list_head's next (or, with -r, prev) is read at 0 (8) from each link; the shown entry is the
            // link minus the offset the user gave.
            r.ListHeadOffset = offset;
            r.NextOffset = reverse ? 8UL : 0UL;
            if (headPointer || headOffsetEntered)
            {
                ulong head = headPointer ? start : unchecked(start + headOffset);
                if (r.End == 0)
                {
                    r.End = head;
                }

                start = WalkArguments.ReadPointer(program, unchecked(head + r.NextOffset), "LIST_HEAD contents");
                r.Empty = start == r.End;
            }
            else
            {
                start = unchecked(start + r.ListHeadOffset);
            }
        }

        r.Start = start;
        return r;
    }

    // cmd_list's "inordinate amount of work to avoid -o": one or two words, each a start or an offset.
    private static void ReadPositionals(KernelProgram program, List<string> words, ref ulong start, ref bool startEntered,
        ref ulong offset, ref bool offsetEntered)
    {
        for (int i = 0; i < words.Count; i++)
        {
            string word = words[i];
            string? following = i + 1 < words.Count ? words[i + 1] : null;
            if (word.Contains('.', StringComparison.Ordinal) && WalkArguments.TryMemberOffset(program, word, out ulong member))
            {
                if (offsetEntered)
                {
                    throw new CommandException($"offset value {(long)offset} (0x{offset:x}) already entered");
                }

                offset = member;
                offsetEntered = true;
                continue;
            }

            if (WalkArguments.TryGetSymbolAddress(program, word, out ulong symbol))
            {
                SetStart(symbol, ref start, ref startEntered);
                continue;
            }

            if (!NumberArgument.TryParseNumber(word, out _))
            {
                if (WalkArguments.TryEvaluate(program, word) is { } value && WalkArguments.IsKernelAddress(program, value))
                {
                    SetStart(value, ref start, ref startEntered);
                    continue;
                }

                throw new CommandException($"invalid argument: {word}");
            }

            if (startEntered)
            {
                offset = NumberArgument.ParseNumber(word);
                offsetEntered = true;
                return;
            }

            if (offsetEntered || following is null)
            {
                ulong value = NumberArgument.ParseHex(word);
                if (!WalkArguments.IsKernelAddress(program, value))
                {
                    throw new CommandException($"invalid kernel virtual address: {word}");
                }

                SetStart(value, ref start, ref startEntered);
                return;
            }

            // Two words and this one a number: an offset when the next is a symbol; else an address if it is one.
            if (WalkArguments.TryGetSymbolAddress(program, following, out _))
            {
                offset = NumberArgument.ParseNumber(word);
                offsetEntered = true;
                continue;
            }

            if (!NumberArgument.TryParseNumber(following, out _) && WalkArguments.TryEvaluate(program, following) is null
                && !following.Contains('.', StringComparison.Ordinal))
            {
                throw new CommandException($"symbol not found: {following}");
            }

            if (NumberArgument.IsHexadecimal(word) && NumberArgument.TryParseHex(word, out ulong address, out _)
                && WalkArguments.IsKernelAddress(program, address))
            {
                SetStart(address, ref start, ref startEntered);
                continue;
            }

            offset = NumberArgument.ParseNumber(word);
            offsetEntered = true;
        }
    }

    private static void SetStart(ulong value, ref ulong start, ref bool startEntered)
    {
        if (startEntered)
        {
            throw new CommandException("list start already entered");
        }

        start = value;
        startEntered = true;
    }

    private static ulong ParseAddress(KernelProgram program, string word)
    {
        if (NumberArgument.IsHexadecimal(word))
        {
            return NumberArgument.ParseHex(word);
        }

        return WalkArguments.TryEvaluate(program, word) ?? throw new CommandException($"invalid end address: {word}");
    }
}
