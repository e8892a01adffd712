using System.Globalization;
using System.Text.RegularExpressions;
using Kdx.Core.Types;

namespace Kdx.Vmcore.Tests.Debug;

/// <summary>One member of a struct as crash's <c>struct -o</c> lists it: anonymous structs and unions opened up.</summary>
/// <param name="Name">The member name.</param>
/// <param name="Offset">Its byte offset from the start of the outer struct (bit offset / 8 for a bit field).</param>
/// <param name="Bits">The bit-field width, or 0.</param>
/// <param name="Declaration">Its C declaration with the integer names gdb prints ("unsigned long", not "long unsigned int").</param>
/// <param name="Size">sizeof the member when the reference says (gdb), else null.</param>
internal sealed record LayoutMember(string Name, ulong Offset, int Bits, string Declaration, ulong? Size = null);

/// <summary>A struct's layout: its members in order and its size.</summary>
internal sealed record StructLayout(string Name, IReadOnlyList<LayoutMember> Members, ulong Size);

/// <summary>Struct layouts from crash's <c>struct -o</c>, gdb's <c>ptype /o</c> and Kdx's types, in one shape to compare.</summary>
internal static partial class StructLayouts
{
    /// <summary>
    /// Blocks of "struct NAME {", "[OFFSET] declaration;" lines, "}" and "SIZE: N" (crash 8.0.2). Anonymous
    /// aggregates open with "struct {" or "union {" and close with "};"; a member of an unnamed struct or
    /// union type closes with "[OFFSET] } name;", and what it holds (listed with or without offsets) is its own.
    /// </summary>
    public static Dictionary<string, StructLayout> FromCrash(string text)
    {
        var layouts = new Dictionary<string, StructLayout>();
        string? name = null;
        var frames = new Stack<(string Keyword, List<LayoutMember> Members)>();
        foreach (var line in text.Split('\n'))
        {
            if (CrashStart().Match(line) is { Success: true } start)
            {
                name = start.Groups[1].Value;
                frames.Clear();
                frames.Push(("struct", []));
            }
            else if (name is null)
            {
                continue;
            }
            else if (CrashOpen().Match(line) is { Success: true } open)
            {
                frames.Push((open.Groups[1].Value, []));
            }
            else if (line.Trim() == "};")
            {
                var done = frames.Pop();
                frames.Peek().Members.AddRange(done.Members);
            }
            else if (CrashMember().Match(line) is { Success: true } m)
            {
                ulong offset = ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                string decl = m.Groups[2].Value;
                if (decl.StartsWith('}'))
                {
                    var done = frames.Pop();
                    decl = done.Keyword + " {...} " + decl.TrimStart('}').Trim();
                }

                var (d, bits) = SplitBitField(decl);
                frames.Peek().Members.Add(new LayoutMember(MemberName(d), offset, bits, Normalize(d)));
            }
            else if (line.StartsWith("SIZE: ", StringComparison.Ordinal))
            {
                layouts[name] = new StructLayout(name, frames.Last().Members, ulong.Parse(line[6..], CultureInfo.InvariantCulture));
                name = null;
            }
        }

        return layouts;
    }

    /// <summary>
    /// gdb 13's <c>ptype /o</c> blocks after "==== NAME" lines: "/* OFF[: BIT] | SIZE */ declaration;" with
    /// nested aggregates expanded; only the members crash would list (top level and inside anonymous
    /// aggregates) are kept. Union members carry no offset: they start where their union starts.
    /// </summary>
    public static Dictionary<string, StructLayout> FromGdb(string text)
    {
        var layouts = new Dictionary<string, StructLayout>();
        string? name = null;
        var frames = new Stack<Frame>();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("==== ", StringComparison.Ordinal))
            {
                name = line[5..].Trim();
                frames.Clear();
                continue;
            }

            if (name is null)
            {
                continue;
            }

            var g = GdbLine().Match(line);
            string rest = g.Success ? g.Groups[4].Value : line.Trim();
            if (rest.Contains("type = struct", StringComparison.Ordinal))
            {
                frames.Push(new Frame(0, false, 0, true, "", []));
                continue;
            }

            if (frames.Count == 0)
            {
                continue;
            }

            var top = frames.Peek();
            ulong offset = g.Success && g.Groups[1].Success ? ulong.Parse(g.Groups[1].Value, CultureInfo.InvariantCulture) : top.IsUnion ? top.Offset : 0;
            int bit = g.Success && g.Groups[2].Success ? int.Parse(g.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
            if (g.Success && rest.EndsWith('{'))
            {
                ulong size = ulong.Parse(g.Groups[3].Value, CultureInfo.InvariantCulture);
                frames.Push(new Frame(offset, rest.StartsWith("union", StringComparison.Ordinal), size, top.Flatten, rest[..^1].Trim(), []));
            }
            else if (g.Success && rest.EndsWith(';'))
            {
                var (decl, bits) = SplitBitField(rest[..^1]);
                ulong bitOffset = (offset * 8) + (ulong)bit;
                top.Members.Add(new LayoutMember(MemberName(decl), bitOffset / 8, bits, Normalize(decl), ulong.Parse(g.Groups[3].Value, CultureInfo.InvariantCulture)));
            }
            else if (rest.StartsWith('}'))
            {
                var done = frames.Pop();
                string member = rest.TrimStart('}').TrimEnd(';').Trim();
                if (frames.Count == 0)
                {
                    continue;
                }

                var parent = frames.Peek();
                if (member.Length == 0)
                {
                    parent.Members.AddRange(done.Members); // an anonymous aggregate: its members are the parent's
                }
                else
                {
                    string head = done.Head is "struct" or "union" ? done.Head + " {...}" : done.Head;
                    var (decl, bits) = SplitBitField(head + " " + member);
                    parent.Members.Add(new LayoutMember(MemberName(decl), done.Offset, bits, Normalize(decl), done.Size));
                }
            }
            else if (rest.StartsWith("/* total size (bytes):", StringComparison.Ordinal) && frames.Count == 1)
            {
                var total = ulong.Parse(rest.Split(':')[1].Trim(' ', '*', '/'), CultureInfo.InvariantCulture);
                layouts[name] = new StructLayout(name, frames.Peek().Members, total);
            }
        }

        return layouts;
    }

    /// <summary>The same view of a <see cref="KType"/>: members in order, anonymous aggregates opened up.</summary>
    public static StructLayout FromType(KType type)
    {
        var members = new List<LayoutMember>();
        void Add(KType t, ulong baseBits)
        {
            foreach (var m in t.Unaliased().Members)
            {
                ulong bits = baseBits + m.BitOffset;
                if (m.Name is null && m.Type.Type.Unaliased().IsCompound)
                {
                    Add(m.Type.Type, bits);
                    continue;
                }

                string decl = TypeNames.Declaration(m.Type, m.Name ?? string.Empty);
                members.Add(new LayoutMember(m.Name ?? string.Empty, bits / 8, m.BitFieldSize, Normalize(decl), m.Type.Type.Unaliased().Size));
            }
        }

        Add(type, 0);
        return new StructLayout(type.Name ?? "", members, type.Size);
    }

    /// <summary>
    /// The name a declaration declares: "void (*function)(struct timer_list *)" → function,
    /// "char comm[16]" → comm, "struct list_head *next" → next.
    /// </summary>
    public static string MemberName(string declaration)
    {
        int paren = declaration.IndexOf("(*", StringComparison.Ordinal);
        if (paren >= 0)
        {
            return Identifier().Match(declaration, paren).Value;
        }

        string last = declaration.Split(' ')[^1];
        int bracket = last.IndexOf('[', StringComparison.Ordinal);
        return (bracket >= 0 ? last[..bracket] : last).TrimStart('*');
    }

    /// <summary>gdb's spelling of gcc's integer names, and single spaces.</summary>
    public static string Normalize(string declaration)
    {
        string d = Spaces().Replace(declaration.Trim(), " ");
        d = InlineEnum().Replace(d, "enum {...}");
        foreach (var (gcc, gdb) in IntegerNames)
        {
            d = Regex.Replace(d, $@"\b{gcc}\b", gdb);
        }

        return d;
    }

    private static readonly (string, string)[] IntegerNames =
    [
        ("long long unsigned int", "unsigned long long"), ("long long int", "long long"),
        ("long unsigned int", "unsigned long"), ("long int", "long"),
        ("short unsigned int", "unsigned short"), ("short int", "short"),
    ];

    private static (string Declaration, int Bits) SplitBitField(string declaration)
    {
        var m = BitField().Match(declaration);
        return m.Success ? (m.Groups[1].Value.Trim(), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)) : (declaration.Trim(), 0);
    }

    private sealed record Frame(ulong Offset, bool IsUnion, ulong Size, bool Flatten, string Head, List<LayoutMember> Members);

    [GeneratedRegex(@"^struct (\w+) \{$")]
    private static partial Regex CrashStart();

    [GeneratedRegex(@"^\s*\[(\d+)\]\s+(.*);\s*$")]
    private static partial Regex CrashMember();

    [GeneratedRegex(@"^\s+(struct|union) \{$")]
    private static partial Regex CrashOpen();

    [GeneratedRegex(@"^/\*\s*(?:(\d+)(?::\s*(\d+))?\s*\|)?\s*(\d+)\s*\*/\s*(.*)$")]
    private static partial Regex GdbLine();

    [GeneratedRegex(@"^(.*?)\s*:\s*(\d+)$")]
    private static partial Regex BitField();

    [GeneratedRegex(@"[A-Za-z_]\w*")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"enum \{[^}]*\}")]
    private static partial Regex InlineEnum();
}
