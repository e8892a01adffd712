using Kdx.Core;
using Kdx.Core.Model;
using Kdx.Core.Symbols;

namespace Kdx.Commands.Infrastructure;

/// <summary>
/// An address typed as an argument, by crash's rules (memory.c cmd_rd, tools.c): a word in parentheses is an
/// expression (<see cref="IntegerExpression"/>); a word that looks hexadecimal is an address ("ffffffff81000000",
/// "0xffff…", and also "add" or "bad"); anything else is a symbol name. Kdx also takes <c>symbol+offset</c> and
/// <c>symbol-offset</c> (the offset is decimal when all digits, else hexadecimal), which crash only takes in
/// parentheses.
/// </summary>
public static class AddressArgument
{
    /// <summary>Resolves <paramref name="word"/> to an address.</summary>
    /// <exception cref="SymbolNotFoundException">The word is not a number and no symbol has that name.</exception>
    /// <exception cref="CommandException">A malformed number or expression.</exception>
    public static ulong Parse(string word, SymbolTable symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        return Parse(word, name => symbols.TryGetAddress(name, out var a) ? a : null);
    }

    /// <summary>
    /// Resolves <paramref name="word"/> to an address, a symbol name also among the modules' symbols (crash's
    /// symbol_search looks at the modules after the kernel).
    /// </summary>
    /// <exception cref="SymbolNotFoundException">The word is not a number and no symbol has that name.</exception>
    /// <exception cref="CommandException">A malformed number or expression.</exception>
    public static ulong Parse(string word, IProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        return Parse(word, name => program.TryGetSymbolAddress(name, out var a) ? a : null);
    }

    private static ulong Parse(string word, Func<string, ulong?> lookup)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.StartsWith('('))
        {
            return IntegerExpression.Evaluate(word, lookup);
        }

        if (NumberArgument.IsHexadecimal(word))
        {
            return NumberArgument.ParseHex(word);
        }

        if (lookup(word) is { } address)
        {
            return address;
        }

        int sign = word.IndexOfAny(['+', '-'], 1);
        if (sign > 0 && lookup(word[..sign]) is { } start)
        {
            string offset = word[(sign + 1)..];
            if (!NumberArgument.TryParseNumber(offset, out ulong n))
            {
                throw new CommandException($"invalid offset in {word}: {offset}");
            }

            return word[sign] == '+' ? unchecked(start + n) : unchecked(start - n);
        }

        throw new SymbolNotFoundException(word);
    }
}

/// <summary>An argument that is neither a number nor a known symbol (crash: "symbol not found: NAME").</summary>
public sealed class SymbolNotFoundException : KdxException
{
    /// <summary>Creates the error for <paramref name="name"/>.</summary>
    public SymbolNotFoundException(string name)
        : base($"symbol not found: {name}")
    {
        Name = name;
    }

    /// <summary>Creates the error with no name (for serialisation frameworks and analyzers).</summary>
    public SymbolNotFoundException()
        : this(string.Empty)
    {
    }

    /// <summary>Creates the error with a message and a cause.</summary>
    public SymbolNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
        Name = string.Empty;
    }

    /// <summary>The word that was looked up.</summary>
    public string Name { get; }
}
