using System.Globalization;
using System.Text.RegularExpressions;

namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>
/// Reads crash's <c>struct -o</c> / <c>union -o</c> output into a <see cref="TypeLayout"/>: one member per
/// "[offset] declaration;" line, anonymous structs and unions opened in place (as crash prints them), members of
/// a named nested struct or union also under their dotted path ("futex.uaddr"), the size from the "SIZE:" line.
/// crash prints no member sizes: <see cref="TypeMember.Size"/> is null (gdb's and drgn's layouts have them).
/// </summary>
public static partial class CrashStructText
{
    /// <summary>
    /// Parses the output of <c>struct -o NAME</c> or <c>union -o NAME</c>; null when crash printed no layout
    /// (an error such as "invalid data structure reference", or its gdb died).
    /// </summary>
    public static TypeLayout? Parse(string? output)
    {
        if (output is null)
        {
            return null;
        }

        var lines = output.Split('\n');
        var head = lines.Select(l => HeadLine().Match(l)).FirstOrDefault(m => m.Success);
        var sizeLine = lines.Select(l => SizeLine().Match(l)).FirstOrDefault(m => m.Success);
        if (head is null || sizeLine is null)
        {
            return null;
        }

        // one frame per open "struct {" / "union {": its members, named at the closing "} name;"
        var frames = new Stack<List<TypeMember>>();
        frames.Push([]);
        bool started = false;
        foreach (var raw in lines)
        {
            string line = raw.TrimEnd();
            if (!started)
            {
                started = HeadLine().IsMatch(line);
                continue;
            }

            var m = MemberLine().Match(line);
            long? closerOffset = null;
            if (m.Success && m.Groups["decl"].Value.StartsWith('}'))
            {
                // a named struct/union closes with its own offset: "[128]     } headers;"
                closerOffset = long.Parse(m.Groups["off"].Value, CultureInfo.InvariantCulture);
                line = m.Groups["decl"].Value;
            }
            else if (m.Success)
            {
                frames.Peek().Add(Member(m.Groups["off"].Value, m.Groups["bit"].Value, m.Groups["decl"].Value));
                continue;
            }

            string t = line.Trim();
            if (t is "struct {" or "union {")
            {
                frames.Push([]);
            }
            else if (t.StartsWith('}') && frames.Count > 1)
            {
                var inner = frames.Pop();
                string name = t.TrimStart('}').TrimEnd(';').Trim();
                if (name.Length == 0)
                {
                    frames.Peek().AddRange(inner);
                }
                else if ((closerOffset ?? inner.FirstOrDefault()?.Offset) is { } at)
                {
                    // (crash prints the members of some named nested structs without offsets: only the closer has one)
                    frames.Peek().Add(new TypeMember(name, at, null, "{...}", null, null));
                    frames.Peek().AddRange(inner.Select(x => x with { Name = name + "." + x.Name }));
                }
            }
            else if (t.StartsWith("SIZE:", StringComparison.Ordinal) || t == "}")
            {
                break;
            }
        }

        while (frames.Count > 1)
        {
            var inner = frames.Pop();
            frames.Peek().AddRange(inner);
        }

        return new TypeLayout(
            head.Groups["kind"].Value + " " + head.Groups["name"].Value,
            long.Parse(sizeLine.Groups[1].Value, CultureInfo.InvariantCulture), frames.Pop(), null, output);
    }

    private static TypeMember Member(string offset, string bit, string decl)
    {
        long off = long.Parse(offset, CultureInfo.InvariantCulture);
        string d = decl.TrimEnd(';').Trim();
        int? bitSize = null;
        var bf = BitField().Match(d);
        if (bf.Success)
        {
            bitSize = int.Parse(bf.Groups[1].Value, CultureInfo.InvariantCulture);
            d = d[..bf.Index].TrimEnd();
        }

        string? name;
        string type;
        var fp = FunctionPointer().Match(d);
        if (fp.Success)
        {
            name = fp.Groups[1].Value;
            type = d.Remove(fp.Groups[1].Index, fp.Groups[1].Length);
        }
        else
        {
            var nm = TrailingName().Match(d);
            name = nm.Success ? nm.Groups["name"].Value : null;
            type = nm.Success ? (d[..nm.Index].TrimEnd() + nm.Groups["dims"].Value).Trim() : d;
        }

        long? bitPosition = bitSize is null ? null
            : off * 8 + (bit.Length > 0 ? long.Parse(bit, CultureInfo.InvariantCulture) : 0);
        return new TypeMember(name, off, null, type, bitPosition, bitSize);
    }

    [GeneratedRegex(@"^(?<kind>struct|union) (?<name>\w+) \{$")]
    private static partial Regex HeadLine();

    [GeneratedRegex(@"^SIZE: (\d+)$")]
    private static partial Regex SizeLine();

    [GeneratedRegex(@"^\s*\[(?<off>\d+)(?::(?<bit>\d+))?\]\s+(?<decl>.*;)$")]
    private static partial Regex MemberLine();

    [GeneratedRegex(@"\s*:\s*(\d+)$")]
    private static partial Regex BitField();

    [GeneratedRegex(@"\(\s*\*+\s*(\w+)\s*\)")]
    private static partial Regex FunctionPointer();

    [GeneratedRegex(@"(?<name>\w+)\s*(?<dims>(?:\[[^\]]*\])*)$")]
    private static partial Regex TrailingName();
}
