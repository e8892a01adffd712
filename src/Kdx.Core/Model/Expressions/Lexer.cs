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

    private static Token CharLiteral(string text, ref int i)
    {
        int start = i;
        if (i + 2 < text.Length && text[i + 1] != '\\' && text[i + 2] == '\'')
        {
            i += 3;
            return new Token(TokenKind.Number, text[start..i], text[start + 1], false, start);
        }

        if (i + 3 < text.Length && text[i + 1] == '\\' && text[i + 3] == '\'')
        {
            ulong v = text[i + 2] switch
            {
                'n' => '\n',
                't' => '\t',
                '0' => 0,
                '\\' => '\\',
                '\'' => '\'',
                _ => throw new ExpressionException("unknown escape", text, i),
            };
            i += 4;
            return new Token(TokenKind.Number, text[start..i], v, false, start);
        }

        throw new ExpressionException("bad character constant", text, i);
    }
}
