namespace Kdx.Commands.Formatting;

/// <summary>crash's column padding: a string centred in a width, the odd space going right (or left).</summary>
public static class CrashColumns
{
    /// <summary>
    /// <paramref name="text"/> centred in <paramref name="width"/> characters; when the padding is odd the extra
    /// space goes after it, or before it with <paramref name="leanRight"/>. Text as wide as the column or wider
    /// is returned as it is.
    /// </summary>
    public static string Center(string text, int width, bool leanRight = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        int extra = width - text.Length;
        if (extra <= 0)
        {
            return text;
        }

        int left = extra / 2 + (leanRight && extra % 2 == 1 ? 1 : 0);
        return new string(' ', left) + text + new string(' ', extra - left);
    }
}
