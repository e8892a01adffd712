using System.Text.RegularExpressions;

namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>
/// The rules by which Kdx's output is compared with crash 8.0.2's reference output. They are the only
/// differences the comparisons allow; everything else, trailing spaces included, must be equal:
/// <list type="number">
/// <item>Newlines at the very end are ignored: crash's <c>rd -a</c> ends without one, and the reference capture
/// keeps whatever came before the next command's sentinel.</item>
/// <item>An error line "cmd: crash's text (Kdx's detail)" is compared without the parenthesised detail that Kdx
/// adds after crash's words (the physical address, the dump's reason).</item>
/// <item>For <c>vtop</c> only: crash's last table, the struct page of the physical page ("PAGE PHYSICAL MAPPING
/// INDEX CNT FLAGS" and its line), is cut from crash's output. Kdx leaves it out until the debuginfo type layer
/// gives the <c>enum pageflags</c> names (see <c>help vtop</c>).</item>
/// </list>
/// </summary>
public static partial class CrashText
{
    /// <summary>The header of crash's struct page table in vtop output.</summary>
    public const string VtopPageHeader = "      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS";

    /// <summary>Applies the rules to the output of <paramref name="command"/> (crash's or Kdx's).</summary>
    public static string Normalize(string command, string output)
    {
        string name = command.Split(' ', 2)[0];
        var lines = output.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        if (name == "vtop")
        {
            for (int i = 0; i < lines.Count; i++)
            {
                if (lines[i] == VtopPageHeader)
                {
                    lines.RemoveRange(i, Math.Min(2, lines.Count - i));
                    i--;
                }
            }
        }

        for (int i = 0; i < lines.Count; i++)
        {
            if (lines[i].StartsWith(name + ": ", StringComparison.Ordinal) && KdxDetail().Match(lines[i]) is { Success: true } m)
            {
                lines[i] = m.Groups[1].Value;
            }
        }

        return string.Join('\n', lines).TrimEnd('\n');
    }

    [GeneratedRegex("^(.*  type: \"[^\"]*\") \\(.*\\)$")]
    private static partial Regex KdxDetail();
}
