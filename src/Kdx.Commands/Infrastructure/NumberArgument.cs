using System.Globalization;

namespace Kdx.Commands.Infrastructure;

/// <summary>
/// crash's rules for numbers typed as arguments (tools.c: hexadecimal(), htoll(), decimal(), stol()):
/// an address is hexadecimal with or without "0x"; a count or an offset is decimal when it is all digits,
/// else hexadecimal ("10" is ten, "0x10" and "1f" are hexadecimal).
/// </summary>
public static class NumberArgument
{
    /// <summary>The most hex digits a 64-bit value can have (crash's MAX_HEXADDR_STRLEN on 64-bit machines).</summary>
    public const int MaxHexDigits = 16;

    /// <summary>
    /// crash's hexadecimal(): only hex digits (and 'x'/'X', so "0x" prefixes pass) and at least one digit.
    /// This is how crash tells an address ("deadbeef", "0xffff…") from a symbol ("schedule").
    /// </summary>
    public static bool IsHexadecimal(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        int digits = 0;
        foreach (char c in word)
        {
            if (char.IsAsciiHexDigit(c))
            {
                digits++;
            }
            else if (c is not ('x' or 'X'))
            {
                return false;
            }
        }

        return digits > 0;
    }

    /// <summary>crash's decimal(): only the digits 0–9, at least one.</summary>
    public static bool IsDecimal(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return word.Length > 0 && word.All(char.IsAsciiDigit);
    }

    /// <summary>
    /// A hexadecimal value (crash's htoll): an optional "0x"/"0X" prefix, then at most 16 hex digits;
    /// as in crash, 'x', 'X' and 'h' elsewhere in the word are skipped.
    /// </summary>
    /// <exception cref="CommandException">Not a hexadecimal number, or more than 64 bits.</exception>
    public static ulong ParseHex(string word)
    {
        if (!TryParseHex(word, out ulong value, out string? error))
        {
            throw new CommandException(error);
        }

        return value;
    }

    /// <summary>As <see cref="ParseHex"/>, without throwing; <paramref name="error"/> says why it failed.</summary>
    public static bool TryParseHex(string word, out ulong value, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(word);
        value = 0;
        string digits = word.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? word[2..] : word;
        if (digits.Length > MaxHexDigits)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"input string too large: \"{digits}\" ({digits.Length} vs {MaxHexDigits})");
            return false;
        }

        foreach (char c in digits)
        {
            if (c is 'x' or 'X' or 'h')
            {
                continue;
            }

            if (!char.IsAsciiHexDigit(c))
            {
                error = $"invalid input: \"{digits}\"";
                return false;
            }

            value = (value << 4) | (uint)HexValue(c);
        }

        error = null;
        return true;
    }

    /// <summary>
    /// A count or an offset (crash's stol): decimal when all digits, else hexadecimal when it looks hexadecimal.
    /// </summary>
    /// <exception cref="CommandException">Neither.</exception>
    public static ulong ParseNumber(string word)
    {
        if (!TryParseNumber(word, out ulong value))
        {
            throw new CommandException($"not a valid number: {word}");
        }

        return value;
    }

    /// <summary>As <see cref="ParseNumber"/>, without throwing.</summary>
    public static bool TryParseNumber(string word, out ulong value)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (IsDecimal(word))
        {
            return ulong.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }

        value = 0;
        return IsHexadecimal(word) && TryParseHex(word, out value, out _);
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
