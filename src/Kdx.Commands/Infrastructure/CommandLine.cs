using System.Text;

namespace Kdx.Commands.Infrastructure;

/// <summary>Splits a command line into words the way crash does.</summary>
public static class CommandLine
{
    /// <summary>
    /// Splits on white space. Double quotes group words and are removed; parentheses group an expression,
    /// spaces included, and are kept (crash's <c>rd (jiffies - 100)</c>). Single quotes are kept as they are,
    /// as crash's parse_line does: they are C's character literals (<c>p 'a'</c>).
    /// </summary>
    public static List<string> Split(string line)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        int depth = 0;
        foreach (char c in line)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }

                continue;
            }

            if (depth == 0 && c == '"')
            {
                quote = c;
                inWord = true;
                continue;
            }

            if (c == '(')
            {
                depth++;
            }
            else if (c == ')' && depth > 0)
            {
                depth--;
            }

            if (depth == 0 && char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }

                continue;
            }

            current.Append(c);
            inWord = true;
        }

        if (inWord)
        {
            words.Add(current.ToString());
        }

        return words;
    }
}
