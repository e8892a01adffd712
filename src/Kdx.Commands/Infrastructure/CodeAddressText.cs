using System.Globalization;
using Kdx.Core.Model;

namespace Kdx.Commands.Infrastructure;

/// <summary>
/// A code address as crash names it in tables (value_to_symstr): the kernel's symbol+offset, else a loaded
/// module's, else an empty string. Offsets are decimal, as crash prints them there.
/// </summary>
public sealed class CodeAddressText
{
    private readonly KernelProgram _program;
    private readonly KernelSymbolText _kernel;

    /// <summary>Creates the namer for <paramref name="program"/>.</summary>
    public CodeAddressText(KernelProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        _program = program;
        _kernel = new KernelSymbolText(program.Symbols, 10);
    }

    /// <summary>"symbol", "symbol+offset", or "" when <paramref name="address"/> is no symbol's.</summary>
    public string Describe(ulong address)
    {
        if (address == 0)
        {
            return string.Empty;
        }

        if (_program.ModuleAt(address) is { } module && module.Symbols.TryLookup(address, out var hit))
        {
            return hit.Offset == 0 ? hit.Symbol.Name : string.Create(CultureInfo.InvariantCulture, $"{hit.Symbol.Name}+{hit.Offset}");
        }

        string? name = _kernel.Describe(address);
        if (name is not null && _program.Symbols.TryLookup(address, out var start) && start.Symbol.Name.EndsWith("_text_start", StringComparison.Ordinal)
            && RealSymbolAt(start.Symbol.Address, start.Index) is { } real)
        {
            // A section's start marker (__irqentry_text_start) shares its address with the first real symbol
            // there; crash (symbols.c value_search) names that symbol, and so does Kdx.
            name = real + name[start.Symbol.Name.Length..];
        }

        return name ?? string.Empty;
    }

    private string? RealSymbolAt(ulong address, int index)
    {
        var symbols = _program.Symbols;
        for (int i = Math.Max(0, index - 8); i < Math.Min(symbols.Count, index + 9); i++)
        {
            if (symbols[i].Address == address && !symbols[i].Name.EndsWith("_text_start", StringComparison.Ordinal) && !symbols[i].IsAbsolute)
            {
                return symbols[i].Name;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="address"/> is in the kernel's or a module's code (a named symbol of type t/T).</summary>
    public bool IsText(ulong address)
    {
        if (address == 0)
        {
            return false;
        }

        if (_program.ModuleAt(address) is { } module)
        {
            return module.Symbols.TryLookup(address, out var m) && m.Symbol.Type is 't' or 'T';
        }

        return _kernel.Describe(address) is not null && _program.Symbols.TryLookup(address, out var k) && k.Symbol.Type is 't' or 'T';
    }
}
