using System.Globalization;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Symbols;

namespace Kdx.Commands.Infrastructure;

/// <summary>
/// A value as crash names it (symbols.c value_to_symstr): "symbol" or "symbol+offset" when the value lies in
/// the kernel's symbol range (in_ksymbol_range: from the first kernel-image symbol up to the highest symbol
/// address; per-CPU offsets and absolute values do not count), the offset in the session's radix ("+219" in
/// decimal, crash's default, or "+0xdb").
/// </summary>
public sealed class KernelSymbolText
{
    private readonly SymbolTable _symbols;
    private readonly int _radix;
    private readonly ulong _low;
    private readonly ulong _high;

    /// <summary>Creates the namer.</summary>
    /// <param name="symbols">The kernel's symbols.</param>
    /// <param name="radix">10 or 16, for offsets.</param>
    public KernelSymbolText(SymbolTable symbols, int radix)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        _symbols = symbols;
        _radix = radix;
        (_low, _high) = Range(symbols);
    }

    /// <summary>symbol+offset for <paramref name="value"/>, or null when it is not a kernel symbol address.</summary>
    public string? Describe(ulong value)
    {
        if (value < _low || value > _high || !_symbols.TryLookup(value, out var hit))
        {
            return null;
        }

        if (hit.Offset == 0)
        {
            return hit.Symbol.Name;
        }

        return _radix == 16
            ? string.Create(CultureInfo.InvariantCulture, $"{hit.Symbol.Name}+0x{hit.Offset:x}")
            : string.Create(CultureInfo.InvariantCulture, $"{hit.Symbol.Name}+{hit.Offset}");
    }

    // From the image's start (or the lowest kernel-space symbol) to the highest non-absolute symbol.
    private static (ulong Low, ulong High) Range(SymbolTable symbols)
    {
        ulong high = 0;
        for (int i = symbols.Count - 1; i >= 0; i--)
        {
            if (!symbols[i].IsAbsolute)
            {
                high = symbols[i].Address;
                break;
            }
        }

        if (symbols.Image is { } image)
        {
            return (image.Start, high);
        }

        for (int i = 0; i < symbols.Count; i++)
        {
            if (!symbols[i].IsAbsolute && symbols[i].Address >= X86_64KernelLayout.StartKernelMap)
            {
                return (symbols[i].Address, high);
            }
        }

        return (ulong.MaxValue, 0);
    }
}
