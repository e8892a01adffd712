using System.Globalization;

namespace Kdx.Core.Model.Expressions;

/// <summary>Splits a C expression into tokens (numbers in C's notations, identifiers, punctuators).</summary>
internal static class Lexer
{
    // Longest first, so "<<=" is not read as "<<" then "=".
    private static readonly string[] Punctuators =
    [
        "->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
        "+", "-", "*", "/", "%", "&", "|", "^", "~", "!", "<", ">", "(", ")", "[", "]", ".", "?", ":", ",",
    ];

    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            int start = i;
            if (char.IsAsciiDigit(c))
            {
                tokens.Add(Number(text, ref i));
                continue;
            }

            if (char.IsAsciiLetter(c) || c == '_' || c == '$')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_' || text[i] == '$'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, text[start..i], 0, false, start));
                continue;
            }

            if (c == '\'')
            {
                tokens.Add(CharLiteral(text, ref i));
                continue;
            }

            if (c == '"')
            {
                int end = text.IndexOf('"', i + 1);
                if (end < 0)
                {
                    throw new ExpressionException("unterminated string", text, i);
                }

                tokens.Add(new Token(TokenKind.String, text[(i + 1)..end], 0, false, start));
                i = end + 1;
                continue;
            }

            string? p = Punctuators.FirstOrDefault(p => string.CompareOrdinal(text, i, p, 0, p.Length) == 0);
            if (p is null)
            {
                throw new ExpressionException($"unexpected character '{c}'", text, i);
            }

            tokens.Add(new Token(TokenKind.Punctuator, p, 0, false, start));
            i += p.Length;
        }

        tokens.Add(new Token(TokenKind.End, string.Empty, 0, false, text.Length));
        return tokens;
    }

    private static Token Number(string text, ref int i)
    {
        int start = i;
        ulong value;
        bool hex = false;
        if (text[i] == '0' && i + 1 < text.Length && (text[i + 1] is 'x' or 'X'))
        {
            i += 2;
            int digits = i;
            while (i < text.Length && char.IsAsciiHexDigit(text[i]))
            {
                i++;
            }

            if (i == digits || !ulong.TryParse(text.AsSpan(digits, i - digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value))
            {
                throw new ExpressionException("bad hexadecimal number", text, start);
            }

            hex = true;
        }
        else
        {
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            var digits = text.AsSpan(start, i - start);
            if (digits.Length > 1 && digits[0] == '0')
            {
                value = 0;
                foreach (char d in digits)
                {
                    if (d > '7')
                    {
                        throw new ExpressionException("bad octal number", text, start);
                    }

                    value = checked((value * 8) + (ulong)(d - '0'));
                }
            }
            else if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value))
            {
                throw new ExpressionException("number too large", text, start);
            }
        }

        bool unsigned = false;
        while (i < text.Length && (text[i] is 'u' or 'U' or 'l' or 'L'))
        {
            unsigned |= text[i] is 'u' or 'U';
            i++;
        }

        if (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
        {
            throw new ExpressionException("bad number", text, start);
        }

        // C: a hex constant too large for long is unsigned long.
        unsigned |= hex && value > long.MaxValue;
        return new Token(TokenKind.Number, text[start..i], value, unsigned, start);
    }

    // A C character constant: 'a', a simple escape ('\n', '\0', '\''), octal ('\177') or hexadecimal ('\x7f').
    private static Token CharLiteral(string text, ref int i)
    {
        int start = i;
        int at = i + 1;
        if (at >= text.Length || text[at] == '\'')
        {
            throw new ExpressionException("bad character constant", text, start);
        }

        ulong v;
        if (text[at] != '\\')
        {
            v = text[at++];
        }
        else if (++at < text.Length && text[at] is >= '0' and <= '7')
        {
            v = 0;
            for (int n = 0; n < 3 && at < text.Length && text[at] is >= '0' and <= '7'; n++)
            {
                v = (v * 8) + (ulong)(text[at++] - '0');
            }
        }
        else if (at < text.Length && text[at] == 'x')
        {
            v = 0;
            int digits = 0;
            while (++at < text.Length && char.IsAsciiHexDigit(text[at]) && digits++ < 2)
            {
                v = (v * 16) + (ulong)Convert.ToInt32(text[at].ToString(), 16);
            }
        }
        else
        {
            v = (at < text.Length ? text[at] : '\0') switch
            {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                'a' => 7,
                'b' => 8,
                'f' => 12,
                'v' => 11,
                'e' => 27,
                '\\' or '\'' or '"' or '?' => text[at],
                _ => throw new ExpressionException("unknown escape", text, start),
            };
            at++;
        }

        if (at >= text.Length || text[at] != '\'' || v > 0xff)
        {
            throw new ExpressionException("bad character constant", text, start);
        }

        i = at + 1;
        return new Token(TokenKind.Number, text[start..i], v, false, start);
    }
}
