namespace Kdx.Commands.Infrastructure;

/// <summary>
/// A small integer expression evaluator for crash's parenthesised arguments, e.g. <c>rd (jiffies - 100)</c>:
/// 64-bit unsigned arithmetic with C's operators and precedence (<c>* / %</c>, <c>+ -</c>, <c>&lt;&lt; &gt;&gt;</c>,
/// <c>&amp;</c>, <c>^</c>, <c>|</c>), unary <c>- ~ +</c> and parentheses. An operand is a symbol, or a number by
/// crash's rules: decimal when all digits, else hexadecimal ("0x10", "1f"), with an optional k/m/g multiplier
/// (tools.c calculate()). crash itself takes one operator per expression; this is a superset. A full C
/// expression evaluator (types, casts, members) is a later step and will grow from here.
/// </summary>
public sealed class IntegerExpression
{
    private readonly string _text;
    private readonly Func<string, ulong?> _symbol;
    private int _pos;

    private IntegerExpression(string text, Func<string, ulong?> symbol)
    {
        _text = text;
        _symbol = symbol;
    }

    /// <summary>Evaluates <paramref name="text"/>; <paramref name="symbol"/> gives a symbol's address or null.</summary>
    /// <exception cref="CommandException">"invalid expression: TEXT: why".</exception>
    public static ulong Evaluate(string text, Func<string, ulong?> symbol)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(symbol);
        var e = new IntegerExpression(text, symbol);
        ulong value = e.Or();
        e.SkipSpace();
        if (e._pos < text.Length)
        {
            e.Fail($"unexpected '{text[e._pos]}'");
        }

        return value;
    }

    private ulong Or()
    {
        ulong v = Xor();
        while (Accept("|"))
        {
            v |= Xor();
        }

        return v;
    }

    private ulong Xor()
    {
        ulong v = And();
        while (Accept("^"))
        {
            v ^= And();
        }

        return v;
    }

    private ulong And()
    {
        ulong v = Shift();
        while (Accept("&"))
        {
            v &= Shift();
        }

        return v;
    }

    private ulong Shift()
    {
        ulong v = Additive();
        while (true)
        {
            if (Accept("<<"))
            {
                ulong n = Additive();
                v = n >= 64 ? 0 : v << (int)n;
            }
            else if (Accept(">>"))
            {
                ulong n = Additive();
                v = n >= 64 ? 0 : v >> (int)n;
            }
            else
            {
                return v;
            }
        }
    }

    private ulong Additive()
    {
        ulong v = Multiplicative();
        while (true)
        {
            if (Accept("+"))
            {
                v = unchecked(v + Multiplicative());
            }
            else if (Accept("-"))
            {
                v = unchecked(v - Multiplicative());
            }
            else
            {
                return v;
            }
        }
    }

    private ulong Multiplicative()
    {
        ulong v = Unary();
        while (true)
        {
            if (Accept("*"))
            {
                v = unchecked(v * Unary());
            }
            else if (Accept("/"))
            {
                v /= NonZero(Unary());
            }
            else if (Accept("%"))
            {
                v %= NonZero(Unary());
            }
            else
            {
                return v;
            }
        }
    }

    private ulong Unary()
    {
        if (Accept("-"))
        {
            return unchecked(0 - Unary());
        }

        if (Accept("~"))
        {
            return ~Unary();
        }

        if (Accept("+"))
        {
            return Unary();
        }

        return Primary();
    }

    private ulong Primary()
    {
        if (Accept("("))
        {
            ulong v = Or();
            if (!Accept(")"))
            {
                Fail(_pos < _text.Length ? $"unexpected '{_text[_pos]}'" : "missing ')'");
            }

            return v;
        }

        SkipSpace();
        int start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] is '_' or '.' or '$'))
        {
            _pos++;
        }

        if (_pos == start)
        {
            Fail(_pos < _text.Length ? $"unexpected '{_text[_pos]}'" : "missing operand at the end");
        }

        string word = _text[start.._pos];
        if (_symbol(word) is { } address)
        {
            return address;
        }

        if (TryNumber(word, out ulong value))
        {
            return value;
        }

        Fail($"\"{word}\" is neither a symbol nor a number");
        return 0;
    }

    // crash's calculate(): a number with an optional k, m or g multiplier.
    private static bool TryNumber(string word, out ulong value)
    {
        int shift = char.ToLowerInvariant(word[^1]) switch
        {
            'k' => 10,
            'm' => 20,
            'g' => 30,
            _ => 0,
        };
        string digits = shift == 0 ? word : word[..^1];
        if (digits.Length == 0 || !NumberArgument.TryParseNumber(digits, out value))
        {
            value = 0;
            return false;
        }

        value = unchecked(value << shift);
        return true;
    }

    private ulong NonZero(ulong divisor)
    {
        if (divisor == 0)
        {
            Fail("division by zero");
        }

        return divisor;
    }

    private bool Accept(string op)
    {
        SkipSpace();
        if (string.CompareOrdinal(_text, _pos, op, 0, op.Length) != 0)
        {
            return false;
        }

        _pos += op.Length;
        return true;
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Fail(string why) => throw new CommandException($"invalid expression: {_text}: {why}");
}
