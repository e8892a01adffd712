namespace Kdx.Commands.Infrastructure;

/// <summary>
/// crash's column justification (tools.c mkstring): a value shorter than the width is padded left, right, or
/// centred; centring an odd gap puts the extra space on the side opposite the justification. A value as wide
/// as the column or wider is kept as it is.
/// </summary>
public static class CrashColumns
{
    /// <summary>Centred; an odd gap leaves the extra space on the left (the value leans right).</summary>
    public static string CenterRight(string value, int width) => Center(value, width, leanRight: true);

    /// <summary>Centred; an odd gap leaves the extra space on the right (the value leans left).</summary>
    public static string CenterLeft(string value, int width) => Center(value, width, leanRight: false);

    private static string Center(string value, int width, bool leanRight)
    {
        ArgumentNullException.ThrowIfNull(value);
        int extra = width - value.Length;
        if (extra <= 0)
        {
            return value;
        }

        int left = extra / 2, right = extra / 2;
        if (extra % 2 == 1)
        {
            if (leanRight)
            {
                left++;
            }
            else
            {
                right++;
            }
        }

        return new string(' ', left) + value + new string(' ', right);
    }
}
