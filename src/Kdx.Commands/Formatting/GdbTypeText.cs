using System.Globalization;
using System.Text;
using Kdx.Core.Types;

namespace Kdx.Commands.Formatting;

/// <summary>
/// Types spelled as crash's gdb prints them: gcc's integer names in C's usual order ("unsigned long",
/// not "long unsigned int"), and struct/union bodies as <c>ptype</c> lays them out.
/// </summary>
public static class GdbTypeText
{
    private static readonly (string Gcc, string Gdb)[] IntegerNames =
    [
        ("long long unsigned int", "unsigned long long"), ("long long int", "long long"),
        ("long unsigned int", "unsigned long"), ("long int", "long"),
        ("short unsigned int", "unsigned short"), ("short int", "short"),
    ];

    /// <summary>A declaration of <paramref name="declarator"/> ("" for the type alone), gdb's spelling.</summary>
    public static string Declaration(QualifiedType type, string declarator) => GdbNames(TypeNames.Declaration(type, declarator));

    /// <summary>gdb's spelling of the integer names in <paramref name="text"/>.</summary>
    public static string GdbNames(string text)
    {
        if (!text.Contains(" int", StringComparison.Ordinal))
        {
            return text;
        }

        foreach (var (gcc, gdb) in IntegerNames)
        {
            text = ReplaceWord(text, gcc, gdb);
        }

        return text;
    }

    /// <summary>
    /// ptype's body of a struct, union or enum: "struct list_head {", members indented 4 spaces a level, "}".
    /// With <paramref name="offsets"/>, crash's <c>struct -o</c> column "[OFFSET]" is put before each member,
    /// as wide as the widest offset the type's size allows.
    /// </summary>
    public static List<string> Definition(KType type, bool offsets)
    {
        var t = type.Unaliased();
        var lines = new List<string> { TypeNames.BaseName(t) + " {" };
        if (t.Kind == TypeKind.Enum)
        {
            return [EnumLine(t)];
        }

        int width = offsets ? $"[{t.Size}]".Length + 2 : 0;
        AppendMembers(lines, t, 1, 0, width);
        lines.Add("}");
        return lines;
    }

    /// <summary>The column crash puts before a member of <c>struct -o</c>: the offset right-aligned in <paramref name="width"/>.</summary>
    public static string OffsetColumn(ulong offset, int width) => $"[{offset}]".PadLeft(width);

    /// <summary>gdb's one-line enum: "enum pid_type {PIDTYPE_PID, PIDTYPE_TGID, ...}", values shown where they jump.</summary>
    public static string EnumLine(KType t)
    {
        var sb = new StringBuilder(TypeNames.BaseName(t)).Append(" {");
        ulong next = 0;
        bool first = true;
        foreach (var e in t.Enumerators)
        {
            sb.Append(first ? string.Empty : ", ").Append(e.Name);
            if (e.Value != next)
            {
                sb.Append(" = ").Append(t.IsSigned ? e.SignedValue.ToString(CultureInfo.InvariantCulture) : e.Value.ToString(CultureInfo.InvariantCulture));
            }

            next = e.Value + 1;
            first = false;
        }

        return sb.Append('}').ToString();
    }

    private static void AppendMembers(List<string> lines, KType t, int level, ulong baseBits, int width)
    {
        string indent = new(' ', 4 * level);
        string blank = width > 0 ? new string(' ', width) + " " : string.Empty;
        string indentNoOffset = width > 0 ? new string(' ', 4 * (level - 1)) : indent;
        foreach (var m in t.Members)
        {
            ulong bits = baseBits + m.BitOffset;
            var mt = m.Type.Type.Unaliased();
            string column = width > 0 ? OffsetColumn(bits / 8, width) + " " : string.Empty;
            if (mt.IsCompound && mt.Name is null && m.Type.Type.Kind != TypeKind.Typedef)
            {
                // An unnamed struct or union is opened up in place; crash's -o gives its members offsets
                // only when the aggregate itself is anonymous (C11), not when it names a member.
                string keyword = mt.Kind == TypeKind.Struct ? "struct" : "union";
                lines.Add(blank + indentNoOffset + keyword + " {");
                if (m.Name is null)
                {
                    AppendMembers(lines, mt, level + 1, bits, width);
                    lines.Add(blank + indentNoOffset + "};");
                }
                else
                {
                    AppendMembers(lines, mt, level + 1, bits, 0, width > 0 ? blank + indentNoOffset : null);
                    lines.Add(column + indentNoOffset + "} " + m.Name + ";");
                }

                continue;
            }

            string decl = Declaration(m.Type, m.Name ?? string.Empty);
            if (m.IsBitField)
            {
                decl += " : " + m.BitFieldSize.ToString(CultureInfo.InvariantCulture);
            }

            lines.Add(column + indentNoOffset + decl + ";");
        }
    }

    // The members of a named member's unnamed aggregate, without offsets, under the -o column.
    private static void AppendMembers(List<string> lines, KType t, int level, ulong baseBits, int width, string? prefix)
    {
        if (prefix is null)
        {
            AppendMembers(lines, t, level, baseBits, width);
            return;
        }

        var inner = new List<string>();
        AppendMembers(inner, t, 1, baseBits, 0);
        string pad = prefix + "    ";
        foreach (var l in inner)
        {
            lines.Add(pad + l[4..]);
        }
    }

    private static string ReplaceWord(string text, string word, string replacement)
    {
        int i = 0;
        while ((i = text.IndexOf(word, i, StringComparison.Ordinal)) >= 0)
        {
            int end = i + word.Length;
            bool startOk = i == 0 || !IsIdentifier(text[i - 1]);
            bool endOk = end == text.Length || !IsIdentifier(text[end]);
            if (startOk && endOk)
            {
                text = string.Concat(text.AsSpan(0, i), replacement, text.AsSpan(end));
                i += replacement.Length;
            }
            else
            {
                i = end;
            }
        }

        return text;
    }

    private static bool IsIdentifier(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
