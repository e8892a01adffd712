using System.Globalization;
using System.Text;

namespace Kdx.Commands.Formatting;

/// <summary>
/// Strings and characters as gdb writes them under crash (gdb valprint.c generic_printstr and print_wchar,
/// with crash's settings: 256 elements, repeats never folded, a UTF-8 host charset).
/// </summary>
public static class GdbStrings
{
    /// <summary>The "print elements" limit crash gives gdb (256; gdb alone has 200).</summary>
    public const int ElementLimit = 256;

    /// <summary>
    /// Appends <paramref name="bytes"/> quoted: printable ASCII and valid printable UTF-8 as they are,
    /// C escapes for \a \b \f \n \r \t \v, three-digit octal for the other bytes (and for a decimal digit
    /// right after an octal escape). A run of one character is written whole even
    /// when it crosses the 256-element limit (gdb takes characters a run at a time); what is left after the
    /// limit, or <paramref name="forceEllipsis"/>, adds "..." after the closing quote.
    /// </summary>
    public static void AppendQuoted(StringBuilder sb, ReadOnlySpan<byte> bytes, bool forceEllipsis)
    {
        ArgumentNullException.ThrowIfNull(sb);
        var units = Decode(bytes);
        sb.Append('"');
        bool needEscape = false;
        int counted = 0, i = 0;
        while (i < units.Count && counted < ElementLimit)
        {
            int run = 1;
            while (i + run < units.Count && units[i + run].SameAs(units[i]))
            {
                run++;
            }

            for (int k = 0; k < run; k++)
            {
                Emit(sb, units[i + k], '"', ref needEscape);
            }

            counted += run;
            i += run;
        }

        sb.Append('"');
        if (i < units.Count || forceEllipsis)
        {
            sb.Append("...");
        }
    }

    /// <summary>A character literal: <c>'w'</c>, <c>'\000'</c>, <c>'\''</c>.</summary>
    public static void AppendCharLiteral(StringBuilder sb, byte c)
    {
        ArgumentNullException.ThrowIfNull(sb);
        bool needEscape = false;
        sb.Append('\'');
        Emit(sb, new Unit(c < 0x80 ? c : -1, c, 1), '\'', ref needEscape);
        sb.Append('\'');
    }

    // One character: a code point (-1 when the bytes are not valid UTF-8) and its bytes.
    private readonly record struct Unit(int CodePoint, int Bytes, int Length)
    {
        public bool SameAs(Unit other) => CodePoint == other.CodePoint && Bytes == other.Bytes && Length == other.Length;
    }

    private static List<Unit> Decode(ReadOnlySpan<byte> bytes)
    {
        var units = new List<Unit>(bytes.Length);
        int i = 0;
        while (i < bytes.Length)
        {
            byte b = bytes[i];
            if (b >= 0x80 && Rune.DecodeFromUtf8(bytes[i..], out var rune, out int used) == System.Buffers.OperationStatus.Done && used > 1)
            {
                int packed = 0;
                for (int k = 0; k < used; k++)
                {
                    packed = (packed << 8) | bytes[i + k];
                }

                units.Add(new Unit(rune.Value, packed, used));
                i += used;
                continue;
            }

            units.Add(new Unit(b < 0x80 ? b : -1, b, 1));
            i++;
        }

        return units;
    }

    private static void Emit(StringBuilder sb, Unit u, char quote, ref bool needEscape)
    {
        bool escapeNext = false;
        switch (u.CodePoint)
        {
            case 7: sb.Append("\\a"); break;
            case 8: sb.Append("\\b"); break;
            case 12: sb.Append("\\f"); break;
            case 10: sb.Append("\\n"); break;
            case 13: sb.Append("\\r"); break;
            case 9: sb.Append("\\t"); break;
            case 11: sb.Append("\\v"); break;
            default:
                if (u.CodePoint >= 0 && IsPrintable(u.CodePoint) && !(needEscape && char.IsAsciiDigit((char)u.CodePoint)))
                {
                    if (u.CodePoint == quote || u.CodePoint == '\\')
                    {
                        sb.Append('\\');
                    }

                    sb.Append(char.ConvertFromUtf32(u.CodePoint));
                }
                else
                {
                    for (int k = u.Length - 1; k >= 0; k--)
                    {
                        int b = (u.Bytes >> (8 * k)) & 0xff;
                        sb.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
                    }

                    escapeNext = true;
                }

                break;
        }

        needEscape = escapeNext;
    }

    // iswprint() of a UTF-8 locale, near enough: no controls, separators of lines, unassigned or private code points.
    private static bool IsPrintable(int codePoint)
    {
        if (codePoint < 0x80)
        {
            return codePoint is >= 0x20 and < 0x7f;
        }

        var category = CharUnicodeInfo.GetUnicodeCategory(codePoint);
        return category is not (UnicodeCategory.Control or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.PrivateUse);
    }
}
