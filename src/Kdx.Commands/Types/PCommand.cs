using System.Globalization;
using System.Text.RegularExpressions;
using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Model;
using Kdx.Core.Model.Expressions;
using Kdx.Core.Types;

namespace Kdx.Commands.Types;

/// <summary>
/// <c>p</c>: prints the value of an expression as crash does through gdb, numbering the values of a
/// session ($1, $2, ...) and naming a lone symbol ("jiffies = $1 = 4294894904").
/// </summary>
public sealed partial class PCommand : Command
{
    private int _history;

    /// <inheritdoc/>
    public override string Name => "p";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Aliases => ["print"];

    /// <inheritdoc/>
    public override string Summary => "print the value of an expression";

    /// <inheritdoc/>
    public override string Usage => "p [-x|-d] expression | symbol[:cpuspec]";

    /// <inheritdoc/>
    public override string Help => """
        Evaluates a C expression over the kernel's variables and types and prints its value the way
        gdb does under crash: structures member by member, arrays in braces, strings quoted, pointers
        in hexadecimal with the symbol they point to. Each value gets a number ($1, $2, ...) for the
        session; a lone symbol is named first ("jiffies = $1 = ...").

          -x   show integers in hexadecimal.
          -d   show integers in decimal.

        A per-CPU variable alone shows its type and its address on every CPU; with ":cpuspec" (a CPU,
        a list such as "0,2-3", or "a" for all) it shows the value on those CPUs.

        Expressions take members (. and ->), indexing, * and &, casts, sizeof and C arithmetic.
        Without a vmlinux only the per-CPU variables have types (BTF describes no other variable).

        Examples:
          kdx> p jiffies
          kdx> p init_task.comm
          kdx> p -x runqueues:0
          kdx> p *(struct list_head *)0xffffffff9881b2d0
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(args);
        int radix = context.Session.OutputRadix;
        int i = 0;
        bool gdbFormat = false;
        if (args.Count > 1 && args[0] is "/o" or "/t" or "/c")
        {
            PrintInteger(context, string.Join(' ', args.Skip(1)).Trim(), args[0][1]);
            return;
        }

        if (args.Count > 0 && args[0] is "/x" or "/d")
        {
            // gdb's own "p/x": the value alone, no symbol name before it (crash passes it to gdb).
            radix = args[0] == "/x" ? 16 : 10;
            gdbFormat = true;
            i = 1;
        }

        for (; i < args.Count && Regex.IsMatch(args[i], "^-[A-Za-z]+$"); i++)
        {
            foreach (char c in args[i][1..])
            {
                switch (c)
                {
                    case 'x': radix = 16; break;
                    case 'd': radix = 10; break;
                    case 'u': throw new CommandException("p: -u needs a user task context: user virtual addresses are not available yet");
                    default: throw new CommandException($"p: invalid option -- '{c}'");
                }
            }
        }

        string text = string.Join(' ', args.Skip(i)).Trim();
        if (text.Length == 0)
        {
            throw new CommandException("p: an expression is needed: " + Usage);
        }

        Print(context, text, radix, !gdbFormat);
    }

    // gdb's p/o (octal with a leading 0), p/t (binary) and p/c (the value and its character) of an integer.
    private void PrintInteger(CommandContext context, string text, char format)
    {
        var value = CExpression.Evaluate(context.Session.Program, text);
        if (value.UnderlyingType.Kind is not (TypeKind.Int or TypeKind.Enum or TypeKind.Bool or TypeKind.Pointer))
        {
            throw new CommandException($"p: /{format} needs an integer value: {text}");
        }

        long signed = value.ToInt64();
        ulong raw = value.ToUInt64();
        string body = format switch
        {
            'o' => raw == 0 ? "0" : "0" + Convert.ToString((long)raw, 8),
            't' => Convert.ToString((long)raw, 2),
            _ => CharValue((sbyte)signed, (byte)raw),
        };
        context.WriteLine($"${++_history} = {body}");
    }

    private static string CharValue(sbyte value, byte raw)
    {
        var sb = new System.Text.StringBuilder(value.ToString(CultureInfo.InvariantCulture)).Append(' ');
        GdbStrings.AppendCharLiteral(sb, raw);
        return sb.ToString();
    }

    /// <summary>Prints <paramref name="text"/> as <c>p</c> would (used for a bare symbol typed as a command).</summary>
    /// <param name="context">Where to write.</param>
    /// <param name="text">The expression.</param>
    /// <param name="radix">10 or 16.</param>
    /// <param name="nameSymbols">
    /// Whether a lone symbol is named before its value and enums print by name, as crash's p does (gdb's p/x and
    /// p/d print neither: "p/d PIDTYPE_MAX" is 4).
    /// </param>
    public void Print(CommandContext context, string text, int radix, bool nameSymbols = true)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(text);
        var program = context.Session.Program;
        var printer = new ValuePrinter(program, radix) { EnumsAsNumbers = !nameSymbols };
        var perCpu = PerCpuArgument().Match(text);
        if (perCpu.Success && TypeLookup.IsPerCpu(program, perCpu.Groups[1].Value))
        {
            PrintPerCpu(context, printer, perCpu.Groups[1].Value, perCpu.Groups[2].Value);
            return;
        }

        bool lone = nameSymbols && Identifier().IsMatch(text) && program.TryGetSymbolAddress(text, out _);

        // crash names the symbol its first word is, even when an expression follows ("nr_cpu_ids * 2").
        string first = text.Split(' ', 2)[0];
        bool named = lone || (nameSymbols && Identifier().IsMatch(first) && program.TryGetSymbolAddress(first, out _));
        if (lone && TypeLookup.IsPerCpu(program, text))
        {
            PrintPerCpuAddresses(context, text);
            return;
        }

        if (lone && program.Types.FindVariableType(text) is null && program.Types.FindFunctionType(text) is { } fn)
        {
            // crash breaks the line after "name = $N = " for a function.
            program.TryGetSymbolAddress(text, out ulong address);
            context.WriteLine($"{text} = ${++_history} = ");
            context.WriteLine($" {{{GdbTypeText.Declaration(fn, string.Empty)}}} 0x{address:x} <{text}>");
            return;
        }

        if (lone && program.Types.FindVariableType(text) is null && program.Types.FindFunctionType(text) is null)
        {
            throw new CommandException("p: " + TypeLookup.MissingVariableType(program, text));
        }

        var value = CExpression.Evaluate(program, text);

        string body = TopLevel(printer, value);
        Write(context, named ? Named(first + " = ", $"${++_history} = ", body) : $"${++_history} = " + body);
    }

    /// <summary>A value after "$N = ": gdb prefixes a pointer (not a string pointer) with its type in parentheses.</summary>
    public static string TopLevel(ValuePrinter printer, KObject value)
    {
        ArgumentNullException.ThrowIfNull(printer);
        ArgumentNullException.ThrowIfNull(value);
        var t = value.UnderlyingType;
        if (t.Kind == TypeKind.Pointer && !ValuePrinter.IsCharType(t.Target!.Value.Type))
        {
            return "(" + GdbTypeText.Declaration(value.Type, string.Empty) + ") " + printer.Format(value);
        }

        return printer.Format(value);
    }

    // crash puts gdb's answer on a line of its own, after a space, when it starts with "{" but is not a
    // structure opening on its own line: arrays ("{0, 0}", "{{") as well as functions.
    private static string Named(string name, string history, string body)
    {
        int eol = body.IndexOf('\n', StringComparison.Ordinal);
        string first = eol < 0 ? body : body[..eol];
        return body.StartsWith('{') && first != "{" ? name + history + "\n " + body : name + history + body;
    }

    private static void Write(CommandContext context, string text)
    {
        foreach (var line in text.Split('\n'))
        {
            context.WriteLine(line);
        }
    }

    private void PrintPerCpu(CommandContext context, ValuePrinter printer, string name, string spec)
    {
        var program = context.Session.Program;
        var type = program.Types.FindVariableType(name) ?? throw new CommandException("p: " + TypeLookup.MissingVariableType(program, name));
        program.Symbols.TryGetAddress(name, out ulong address);
        foreach (int cpu in CpuSpec.Parse(spec, program.CpuCount))
        {
            var value = KObject.FromAddress(program, type, program.PerCpuAddress(address, cpu));
            string body = TopLevel(printer, value);
            Write(context, Named(string.Create(CultureInfo.InvariantCulture, $"per_cpu({name}, {cpu}) = "), $"${++_history} = ", body));
        }
    }

    private static void PrintPerCpuAddresses(CommandContext context, string name)
    {
        var program = context.Session.Program;
        var type = program.Types.FindVariableType(name) ?? throw new CommandException("p: " + TypeLookup.MissingVariableType(program, name));
        program.Symbols.TryGetAddress(name, out ulong address);
        context.WriteLine("PER-CPU DATA TYPE:");
        context.WriteLine("  " + GdbTypeText.Declaration(type, name) + ";");
        context.WriteLine("PER-CPU ADDRESSES:");
        for (int cpu = 0; cpu < program.CpuCount; cpu++)
        {
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{cpu}]: {program.PerCpuAddress(address, cpu):x}"));
        }
    }

    [GeneratedRegex(@"^([A-Za-z_]\w*):([\w,\-]+)$")]
    private static partial Regex PerCpuArgument();

    [GeneratedRegex(@"^[A-Za-z_]\w*$")]
    private static partial Regex Identifier();
}
