using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux.Modules;
using Kdx.Core.Model;

namespace Kdx.Commands.Symbols;

/// <summary><c>sym</c>: symbols by name or address, their neighbours, lists and searches, as crash's sym prints them.</summary>
public sealed class SymCommand : Command
{
    private const string Synopsis = "sym [-l] | [-M] | [-m module] | [-p|-n] | [-q string] | [symbol | vaddr]";
    private static readonly OptionParser Options = new("sym", "lLMnps", "qm");

    /// <inheritdoc/>
    public override string Name => "sym";

    /// <inheritdoc/>
    public override string Summary => "translate a symbol to its virtual address, or vice-versa";

    /// <inheritdoc/>
    public override string Usage => Synopsis;

    /// <inheritdoc/>
    public override string Help => """
        Shows a symbol: its address, nm's type letter, its name (with +offset when an address is inside
        it), the module that has it in brackets, and for code the source file and line (from the
        vmlinux's DWARF, or from a module's object file once "mod -s" loaded it). Each argument is a
        symbol name or a hexadecimal address; every symbol of that name is shown.

          -l         every symbol: the kernel's in address order, then each module's between
                     "MODULE START" and "MODULE END" lines.
          -M         every module symbol.
          -m module  the symbols of one module.
          -p         also show the symbol before.
          -n         also show the symbol after.
          -q string  every symbol whose name contains the string.
          -s         show the section that holds the address instead of the source line.

        Without a vmlinux the symbols come from the kernel's kallsyms in the dump, and there are no
        source lines.

        Examples:
          kdx> sym schedule
          kdx> sym ffffffffc03d3010
          kdx> sym -q vmlab
          kdx> sym -p -n do_exit
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ParsedOptions options;
        try
        {
            options = Options.Parse(args);
        }
        catch (CommandException e)
        {
            context.WriteLine(e.Message);
            WriteUsage(context, Name, Synopsis);
            return;
        }

        var program = context.Session.Program;
        var view = new CrashSymbolView(program, context.Session.OutputRadix);
        bool others = false;
        foreach (var (name, value) in options.InOrder)
        {
            switch (name)
            {
                case "q":
                    if (Query(context, view, value!, string.Empty) == 0)
                    {
                        context.WriteLine("(none found)");
                    }

                    others = true;
                    break;
                case "m":
                    DumpModules(context, view, value);
                    others = true;
                    break;
                case "M":
                    DumpModules(context, view, null);
                    others = true;
                    break;
                case "l" or "L":
                    DumpKernel(context, view);
                    DumpModules(context, view, null);
                    others = true;
                    break;
            }
        }

        bool lines = !options.Has("s");
        var show = new Show(context, view, lines, !lines, options.Has("p"), options.Has("n"));
        foreach (string word in options.Positionals)
        {
            ShowArgument(show, word);
        }

        if (options.Positionals.Count == 0 && !others)
        {
            WriteUsage(context, Name, Synopsis);
        }
    }

    /// <summary>crash's cmd_usage(SYNOPSIS).</summary>
    internal static void WriteUsage(CommandContext context, string name, string synopsis)
    {
        context.WriteLine("Usage:");
        context.WriteLine("  " + synopsis);
        context.WriteLine($"Enter \"help {name}\" for details.");
    }

    private static void ShowArgument(Show show, string word)
    {
        var program = show.Context.Session.Program;
        var named = AllNamed(program, show.View, word).ToList();
        if (named.Count == 0 && NumberArgument.IsHexadecimal(word))
        {
            ulong value = NumberArgument.ParseHex(word);
            if (!show.View.InSymbolRange(value))
            {
                show.Context.WriteLine($"sym: invalid address: {word}");
            }
            else if (show.View.TryLookup(value, out var entry, out ulong offset))
            {
                show.One(entry, offset);
            }
            else
            {
                show.Context.WriteLine($"symbol not found: {word}");
            }

            return;
        }

        if (named.Count == 0)
        {
            show.Context.WriteLine($"symbol not found: {word}");
            show.Context.WriteLine("possible alternatives:");
            if (Query(show.Context, show.View, word, "  ") == 0)
            {
                show.Context.WriteLine("  (none found)");
            }

            return;
        }

        foreach (var entry in named)
        {
            show.One(entry, 0);
        }
    }

    /// <summary>Every symbol named <paramref name="name"/>: the kernel's, then each module's in list order.</summary>
    private static IEnumerable<SymbolEntry> AllNamed(KernelProgram program, CrashSymbolView view, string name)
    {
        foreach (int i in view.Kernel.Named(name))
        {
            yield return view.KernelEntry(i);
        }

        foreach (var entry in ModuleSymbols(program, view, null))
        {
            if (entry.Symbol.Name == name)
            {
                yield return entry;
            }
        }
    }

    /// <summary>The symbols of every module (or of <paramref name="only"/>), modules by base address.</summary>
    private static IEnumerable<SymbolEntry> ModuleSymbols(KernelProgram program, CrashSymbolView view, KernelModule? only)
    {
        foreach (var m in SymbolOrder.ModulesByBase(program))
        {
            if (only is not null && m != only)
            {
                continue;
            }

            for (int i = 0; i < view.ModuleSymbols(m).Count; i++)
            {
                yield return view.ModuleEntry(m, i);
            }
        }
    }

    /// <summary>crash's symbol_query: every symbol whose name contains <paramref name="part"/>, no source lines.</summary>
    private static int Query(CommandContext context, CrashSymbolView view, string part, string pad)
    {
        int count = 0;
        for (int i = 0; i < view.Kernel.Count; i++)
        {
            if (view.Kernel[i].Name.Contains(part, StringComparison.Ordinal))
            {
                context.WriteLine(pad + view.Line(view.KernelEntry(i), 0, false, false));
                count++;
            }
        }

        foreach (var entry in ModuleSymbols(context.Session.Program, view, null))
        {
            if (entry.Symbol.Name.Contains(part, StringComparison.Ordinal))
            {
                context.WriteLine(pad + view.Line(entry, 0, false, true));
                count++;
            }
        }

        return count;
    }

    private static void DumpKernel(CommandContext context, CrashSymbolView view)
    {
        for (int i = 0; i < view.Kernel.Count; i++)
        {
            context.WriteLine(view.Line(view.KernelEntry(i), 0, false, false));
        }
    }

    /// <summary>crash's symbol_dump(MODULE_SYMS): each module (or only <paramref name="only"/>) between START and END lines.</summary>
    private static void DumpModules(CommandContext context, CrashSymbolView view, string? only)
    {
        foreach (var m in SymbolOrder.ModulesByBase(context.Session.Program))
        {
            if (only is not null && m.Name != only)
            {
                continue;
            }

            context.WriteLine($"{m.Base:x} MODULE START: {m.Name}");
            foreach (var entry in ModuleSymbols(context.Session.Program, view, m))
            {
                context.WriteLine(view.Line(entry, 0, false, false));
            }

            context.WriteLine($"{m.Base + m.Size:x} MODULE END: {m.Name}");
        }
    }

    /// <summary>Shows one symbol with its neighbours as -p and -n ask.</summary>
    private sealed record Show(CommandContext Context, CrashSymbolView View, bool Lines, bool Section, bool Previous, bool Next)
    {
        public void One(SymbolEntry entry, ulong offset)
        {
            if (Previous && SymbolOrder.Previous(View, entry) is { } before)
            {
                Write(before, 0);
            }

            Write(entry, offset);
            if (Next && SymbolOrder.Next(View, entry) is { } after)
            {
                Write(after, 0);
            }
        }

        private void Write(SymbolEntry entry, ulong offset) =>
            Context.WriteLine(View.Line(entry, offset, Lines, showModule: true, Section));
    }
}
