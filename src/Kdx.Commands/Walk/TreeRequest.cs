using Kdx.Commands.Infrastructure;
using Kdx.Core.Model;

namespace Kdx.Commands.Walk;

/// <summary>The kinds of tree <c>tree -t</c> knows.</summary>
internal enum TreeKind
{
    /// <summary>A radix tree that is not an XArray (before Linux v4.20): not supported.</summary>
    OldRadix,

    /// <summary>rb_root / rb_node.</summary>
    RbTree,

    /// <summary>xarray / xa_node (also what "radix" means since v4.20).</summary>
    XArray,

    /// <summary>maple_tree / maple_node.</summary>
    Maple,
}

/// <summary>A <c>tree</c> command line, read by crash's rules (tools.c cmd_tree).</summary>
internal sealed class TreeRequest
{
    public TreeKind Kind { get; private set; } = TreeKind.RbTree;

    /// <summary>The root's address (start plus -r), or with -N the node.</summary>
    public ulong Start { get; private set; }

    /// <summary>-N: <see cref="Start"/> is a node.</summary>
    public bool NodePointer { get; private set; }

    /// <summary>-o: the rb_node's offset in each entry.</summary>
    public ulong NodeOffset { get; private set; }

    /// <summary>-l: in-order (rbtree only).</summary>
    public bool LinearOrder { get; private set; }

    /// <summary>-p.</summary>
    public bool Positions { get; private set; }

    /// <summary>-s/-S arguments.</summary>
    public IReadOnlyList<string> Structs { get; private set; } = [];

    /// <summary>-S: members read straight from memory, printed without gdb's separating commas.</summary>
    public bool DirectMembers { get; private set; }

    /// <summary>-x: 16, -d: 10, else 0.</summary>
    public int Radix { get; private set; }

    public static TreeRequest Parse(KernelProgram program, ParsedOptions options, string usage)
    {
        var r = new TreeRequest();
        bool typeGiven = false, rootOffsetEntered = false, nodeOffsetEntered = false;
        ulong rootOffset = 0;
        var structs = new List<string>();
        foreach (var (name, value) in options.InOrder)
        {
            switch (name)
            {
                case "t":
                    if (typeGiven)
                    {
                        throw new CommandException($"multiple tree types may not be entered (usage: {usage})");
                    }

                    r.Kind = KindOf(program, value!, usage);
                    typeGiven = true;
                    break;
                case "l": r.LinearOrder = true; break;
                case "r":
                    if (rootOffsetEntered)
                    {
                        throw new CommandException($"root offset value {(long)rootOffset} (0x{rootOffset:x}) already entered");
                    }

                    rootOffset = WalkArguments.ParseOffset(program, value!, "tree", 'r');
                    rootOffsetEntered = true;
                    break;
                case "o":
                    if (nodeOffsetEntered)
                    {
                        throw new CommandException($"node offset value {(long)r.NodeOffset} (0x{r.NodeOffset:x}) already entered");
                    }

                    r.NodeOffset = WalkArguments.ParseOffset(program, value!, "tree", 'o');
                    nodeOffsetEntered = true;
                    break;
                case "s" or "S":
                    if (options.Has("s") && options.Has("S"))
                    {
                        throw new CommandException("-S and -s options are mutually exclusive");
                    }

                    structs.Add(value!);
                    r.DirectMembers |= name == "S";
                    break;
                case "p": r.Positions = true; break;
                case "N": r.NodePointer = true; break;
                case "x" or "d":
                    if (options.Has("x") && options.Has("d"))
                    {
                        throw new CommandException("-d and -x are mutually exclusive");
                    }

                    r.Radix = name == "x" ? 16 : 10;
                    break;
            }
        }

        r.Structs = structs;
        if (r.Kind is TreeKind.XArray or TreeKind.Maple or TreeKind.OldRadix)
        {
            string what = r.Kind switch { TreeKind.Maple => "maple trees", TreeKind.OldRadix => "radix trees", _ => "Xarrays" };
            if (r.LinearOrder)
            {
                throw new CommandException($"-l option is not applicable to {what}");
            }

            if (nodeOffsetEntered)
            {
                throw new CommandException($"-o option is not applicable to {what}");
            }
        }

        if (rootOffsetEntered && r.NodePointer)
        {
            throw new CommandException("-r and -N options are mutually exclusive");
        }

        if (options.Positionals.Count == 0)
        {
            throw new CommandException($"a starting address is required (usage: {usage})");
        }

        ulong start = ParseStart(program, options.Positionals[0]);
        if (options.Positionals.Count > 1)
        {
            throw new CommandException($"too many arguments entered (usage: {usage})");
        }

        r.Start = r.NodePointer ? start : unchecked(start + rootOffset);
        return r;
    }

    // crash compares prefixes: "ra…", "rb…", "x…"; kdx adds "m…" for maple trees.
    private static TreeKind KindOf(KernelProgram program, string word, string usage)
    {
        if (word.StartsWith("ra", StringComparison.Ordinal))
        {
            return TreeCommand.RadixIsXArray(program) ? TreeKind.XArray : TreeKind.OldRadix;
        }

        if (word.StartsWith("rb", StringComparison.Ordinal))
        {
            return TreeKind.RbTree;
        }

        if (word.StartsWith('x'))
        {
            return TreeKind.XArray;
        }

        if (word.StartsWith('m'))
        {
            return TreeKind.Maple;
        }

        throw new CommandException($"invalid tree type: {word} (usage: {usage})");
    }

    private static ulong ParseStart(KernelProgram program, string word)
    {
        if (WalkArguments.TryGetSymbolAddress(program, word, out ulong symbol))
        {
            return symbol;
        }

        ulong? value = NumberArgument.IsHexadecimal(word) && NumberArgument.TryParseHex(word, out ulong hex, out _)
            ? hex
            : WalkArguments.TryEvaluate(program, word);
        if (value is { } v && WalkArguments.IsKernelAddress(program, v))
        {
            return v;
        }

        throw new CommandException($"invalid start argument: {word}");
    }
}
