using System.Globalization;
using System.Text;
using Kdx.Commands.Infrastructure;

namespace Kdx.Commands.Types;

/// <summary>
/// <c>eval</c>: evaluates an integer expression and shows it in hexadecimal, decimal, octal and binary,
/// as crash's eval does (with the size in KB/MB/GB when it is a whole number of them).
/// </summary>
public sealed class EvalCommand : Command
{
    /// <inheritdoc/>
    public override string Name => "eval";

    /// <inheritdoc/>
    public override string Summary => "evaluate";

    /// <inheritdoc/>
    public override string Usage => "eval [-b][-l] (expression) | value";

    /// <inheritdoc/>
    public override string Help => """
        Evaluates an integer expression (64-bit unsigned arithmetic with + - * / % & | ^ << >>, unary
        - and ~, parentheses) and shows the result in hexadecimal, decimal, octal and binary. Numbers
        are decimal when all digits, else hexadecimal; a k, m or g suffix multiplies by 1024, 1024^2
        or 1024^3; a symbol stands for its address. A negative result also shows its signed value.

          -b   list the bits that are set, highest first.
          -l   64-bit values (always the case here).

        Examples:
          kdx> eval 1g
          kdx> eval -b 0x1234
          kdx> eval (jiffies - 100)
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(args);
        bool bits = false;
        var words = new List<string>();
        foreach (var a in args)
        {
            // A leading "-" followed by a digit is a negative number, not an option.
            if (words.Count == 0 && a.Length > 1 && a[0] == '-' && !char.IsAsciiDigit(a[1]) && a[1] != '(')
            {
                foreach (char c in a[1..])
                {
                    bits |= c == 'b';
                    if (c is not ('b' or 'l'))
                    {
                        throw new CommandException($"eval: invalid option -- '{c}'");
                    }
                }

                continue;
            }

            words.Add(a);
        }

        if (words.Count == 0)
        {
            throw new CommandException("eval: an expression is needed: " + Usage);
        }

        var symbols = context.Session.Program.Symbols;
        ulong v = IntegerExpression.Evaluate(string.Join(' ', words), name => symbols.TryGetAddress(name, out var a) ? a : null);
        foreach (var line in Lines(v, bits))
        {
            context.WriteLine(line);
        }
    }

    /// <summary>crash's eval lines for <paramref name="value"/>.</summary>
    public static List<string> Lines(ulong value, bool bitsSet)
    {
        string size = SizeSuffix(value);
        long signed = unchecked((long)value);
        var lines = new List<string>
        {
            "hexadecimal: " + value.ToString("x", CultureInfo.InvariantCulture) + "  " + size,
            "    decimal: " + value.ToString(CultureInfo.InvariantCulture) + "  " + (signed < 0 ? "(" + signed.ToString(CultureInfo.InvariantCulture) + ")" : string.Empty),
            "      octal: " + Convert.ToString(signed, 8),
            "     binary: " + Convert.ToString(signed, 2).PadLeft(64, '0'),
        };
        if (bitsSet)
        {
            var sb = new StringBuilder("   bits set: ");
            for (int bit = 63; bit >= 0; bit--)
            {
                if ((value >> bit & 1) != 0)
                {
                    sb.Append(bit.ToString(CultureInfo.InvariantCulture)).Append(' ');
                }
            }

            lines.Add(sb.ToString());
        }

        return lines;
    }

    private static string SizeSuffix(ulong v)
    {
        const ulong K = 1024, M = K * K, G = M * K;
        return v == 0 ? string.Empty
            : v % G == 0 ? $"({v / G}GB)"
            : v % M == 0 ? $"({v / M}MB)"
            : v % K == 0 ? $"({v / K}KB)"
            : string.Empty;
    }
}
