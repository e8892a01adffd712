using Kdx.Commands.Infrastructure;
using Kdx.Core.Types;

namespace Kdx.Commands.Types;

/// <summary>
/// What crash does with a line whose first word is not a command: a structure or union name (alone or
/// with ".member" and arguments) runs struct or union, another type name (typedef, enum) runs whatis,
/// and a symbol runs p on the whole line. gdb's "p/x" and "p/d" become "p -x" and "p -d".
/// </summary>
public static class ImplicitCommand
{
    /// <summary>The command line to run instead of <paramref name="words"/>, or null when the first word means nothing.</summary>
    public static List<string>? Rewrite(Session session, IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(words);
        if (words.Count == 0)
        {
            return null;
        }

        string first = words[0];
        if (first is "p/x" or "p/d" or "p/o" or "p/t" or "p/c")
        {
            return ["p", first[1..], .. words.Skip(1)];
        }

        var program = session.Program;
        int dot = first.IndexOf('.', StringComparison.Ordinal);
        string name = dot < 0 ? first : first[..dot];
        if (name.Length == 0)
        {
            return null;
        }

        if (!TypeLookup.IsSymbol(program, name) || dot >= 0)
        {
            if (program.Types.FindType(name, TypeKind.Struct) is not null)
            {
                return ["struct", .. words];
            }

            if (program.Types.FindType(name, TypeKind.Union) is not null)
            {
                return ["union", .. words];
            }

            if (dot < 0 && words.Count == 1 && TypeLookup.Find(program, name) is not null)
            {
                return ["whatis", first];
            }
        }

        return TypeLookup.IsSymbol(program, name) ? ["p", .. words] : null;
    }
}
